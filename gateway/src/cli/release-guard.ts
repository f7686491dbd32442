import { readFileSync } from 'node:fs';

/**
 * A release bundle (scripts/release.mjs) carries native addons compiled for one Node ABI, written in node-abi.json
 * at the bundle's root. Under another Node (nodejs upgraded to 22 by the OS) the first native `require` would die
 * deep in the daemon's start with a NODE_MODULE_VERSION stack; say what is wrong first, and exit 2, the code
 * systemd's unit does not restart on. A source checkout has no node-abi.json: nothing to check.
 * Imported first by main.ts, so it runs before any module that loads an addon. It reads the few bytes of
 * node-abi.json, not manifest.json (the sha256 of every file, ~750 KB), since it runs on every start.
 */
const ABI_FILE = new URL('../../../node-abi.json', import.meta.url);

function damaged(why: string): never {
  process.stderr.write(
    `qrkiosk: ${ABI_FILE.pathname} hỏng (${why}) — hãy cài lại bản phát hành / is damaged (${why}): reinstall the release\n`,
  );
  process.exit(2);
}

function bundleAbi(): { modules: string; version: string } | null {
  let text: string;
  try {
    text = readFileSync(ABI_FILE, 'utf8');
  } catch {
    return null;
  }
  let abi: { modules?: unknown; node?: unknown };
  try {
    abi = JSON.parse(text);
  } catch {
    damaged('không phải JSON / not JSON');
  }
  if (typeof abi?.modules !== 'string' || abi.modules === '') damaged('thiếu "modules" / no "modules"');
  return { modules: abi.modules, version: typeof abi.node === 'string' ? abi.node : '?' };
}

const wanted = bundleAbi();
if (wanted && wanted.modules !== process.versions.modules) {
  const major = wanted.version.split('.')[0];
  process.stderr.write(
    `qrkiosk: bản phát hành này cần Node.js ${major}.x (ABI ${wanted.modules}); đang chạy Node.js ${process.versions.node} (ABI ${process.versions.modules}). Hãy cài Node.js ${major} hoặc dùng bản phát hành cho Node.js này.\n` +
      `qrkiosk: this release needs Node.js ${major}.x (ABI ${wanted.modules}); running Node.js ${process.versions.node} (ABI ${process.versions.modules}). Install Node.js ${major} or use a release built for this Node.\n`,
  );
  process.exit(2);
}
