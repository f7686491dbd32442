import { readFileSync } from 'node:fs';

/**
 * A release bundle (scripts/release.mjs) carries native addons compiled for one Node ABI, written in its
 * manifest.json at the bundle's root. Under another Node (nodejs upgraded to 22 by the OS) the first native
 * `require` would die deep in the daemon's start with a NODE_MODULE_VERSION stack; say what is wrong first,
 * and exit 2, the code systemd's unit does not restart on. A source checkout has no manifest: nothing to check.
 * Imported first by main.ts, so it runs before any module that loads an addon.
 */
const MANIFEST = new URL('../../../manifest.json', import.meta.url);

function bundleAbi(): { modules: string; version: string } | null {
  let text: string;
  try {
    text = readFileSync(MANIFEST, 'utf8');
  } catch {
    return null;
  }
  let manifest: { format?: string; node?: { modules?: string; version?: string } };
  try {
    manifest = JSON.parse(text);
  } catch {
    process.stderr.write(
      `qrkiosk: ${MANIFEST.pathname} hỏng (không phải JSON) — hãy cài lại bản phát hành / is damaged (not JSON): reinstall the release\n`,
    );
    process.exit(2);
  }
  if (manifest.format !== 'qrkiosk-release/1' || !manifest.node?.modules) return null;
  return { modules: manifest.node.modules, version: manifest.node.version ?? '?' };
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
