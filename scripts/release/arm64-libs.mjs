// The arm64 shared libraries the bundle's prebuilt node-hid links (libusb-1.0, libudev) — on a Pi they come
// with the OS (scripts/install.sh installs libusb-1.0-0 and udev); the qemu sysroot of the cross packages has
// only glibc and libstdc++. Fetched as Debian's own arm64 packages through a private apt state (index signatures
// and package hashes checked by apt), unpacked under the cache; the machine's dpkg architectures are untouched.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const PACKAGES = ['libusb-1.0-0', 'libudev1'];

function codename() {
  const m = /^VERSION_CODENAME=(\w+)/m.exec(readFileSync('/etc/os-release', 'utf8'));
  return m?.[1] ?? 'bookworm';
}

/** The folder holding the arm64 libusb-1.0.so.0 and libudev.so.1 (for the guest's LD_LIBRARY_PATH). */
export function arm64Libs({ offline = false } = {}) {
  const suite = codename();
  const base = join(
    process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'),
    'qrkiosk',
    `arm64-libs-${suite}`,
  );
  const libDir = join(base, 'root', 'usr', 'lib', 'aarch64-linux-gnu');
  if (existsSync(join(libDir, 'libusb-1.0.so.0')) && existsSync(join(libDir, 'libudev.so.1'))) return libDir;
  if (offline) {
    throw new Error(`arm64 libusb/libudev not fetched (${libDir}). Run: bash scripts/install.sh --test`);
  }
  rmSync(base, { recursive: true, force: true });
  for (const d of ['state/lists/partial', 'cache/archives/partial', 'debs', 'root']) {
    mkdirSync(join(base, d), { recursive: true });
  }
  writeFileSync(
    join(base, 'sources.list'),
    `deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian ${suite} main\n`,
  );
  const apt = (...args) => {
    const r = spawnSync(
      'apt-get',
      [
        '-qq',
        '-o',
        `Dir::State=${join(base, 'state')}`,
        '-o',
        `Dir::Cache=${join(base, 'cache')}`,
        '-o',
        `Dir::Etc::SourceList=${join(base, 'sources.list')}`,
        '-o',
        'Dir::Etc::SourceParts=/dev/null',
        '-o',
        'APT::Architecture=arm64',
        '-o',
        'APT::Architectures::=arm64',
        ...args,
      ],
      { cwd: join(base, 'debs'), stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' },
    );
    // apt warns that _apt cannot write to a root-owned download folder, then downloads as root: not an error.
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} (arm64): exit ${r.status}\n${r.stderr}`);
  };
  apt('update');
  apt('download', ...PACKAGES);
  for (const deb of readdirSync(join(base, 'debs'))) {
    const x = spawnSync('dpkg-deb', ['-x', join(base, 'debs', deb), join(base, 'root')], {
      stdio: 'inherit',
    });
    if (x.status !== 0) throw new Error(`dpkg-deb -x ${deb}: exit ${x.status}`);
  }
  // The indexes (tens of MB) served only this download.
  rmSync(join(base, 'state'), { recursive: true, force: true });
  rmSync(join(base, 'cache'), { recursive: true, force: true });
  if (!existsSync(join(libDir, 'libusb-1.0.so.0'))) throw new Error(`no libusb-1.0.so.0 in ${libDir}`);
  return libDir;
}
