import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type KeyRing, openTrustList, TrustListError, writeDurably } from '@qrkiosk/protocol';
import { TrustStore } from './decode/index.js';
import type { Logger } from './log.js';

/**
 * The DCC trust list the hub signs (`fleet/trust`), installed on the kiosk as one PEM bundle in
 * `<data.dir>/dcc-trust/`, the folder the controller already reads signer certificates from. One file,
 * replaced by a single rename, so a scan sees the old list or the new one, never half; files a
 * technician put in the folder (or dcc.trustFiles) are left alone.
 */
export const HUB_TRUST_FILE = 'hub-trust-list.pem';
const VERSION_LINE = /^# version: (\d+)$/m;

export const dccTrustDir = (dataDir: string) => join(dataDir, 'dcc-trust');

const CREATED_LINE = /^# created: (\S+)$/m;

/** Version of the installed hub list; 0 when none is installed. */
export function installedTrustVersion(dataDir: string): number {
  return installedTrustList(dataDir).version;
}

/** Version and creation time (as the hub signed them) of the installed hub list; version 0 when none. */
export function installedTrustList(dataDir: string): { version: number; createdAt: string | null } {
  try {
    const text = readFileSync(join(dccTrustDir(dataDir), HUB_TRUST_FILE), 'utf8');
    const m = VERSION_LINE.exec(text);
    return { version: m ? Number(m[1]) : 0, createdAt: CREATED_LINE.exec(text)?.[1] ?? null };
  } catch {
    return { version: 0, createdAt: null };
  }
}

export type TrustInstall =
  | { installed: true; version: number; certificates: number; keyId: string }
  | { installed: false; version: number };

/**
 * Verifies a signed trust list (hub key, signature, every certificate parses) and writes it.
 * Returns `installed: false` for the list already in force (a retained message seen again after a
 * reconnect). Throws TrustListError for anything refused, `stale` for an older list; nothing is written then.
 */
export function installTrustList(dataDir: string, payload: Buffer, keys: KeyRing): TrustInstall {
  const { list, certificates, keyId } = openTrustList(payload, keys);
  const current = installedTrustVersion(dataDir);
  if (list.version === current) return { installed: false, version: current };
  if (list.version < current)
    throw new TrustListError(
      'stale',
      `list version ${list.version} is older than the installed version ${current}`,
    );
  const pem = certificates.map(
    (der) =>
      `-----BEGIN CERTIFICATE-----\n${(der.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`,
  );
  // Certificates first: TrustStore tells PEM from DER by the file's first bytes. The notes after them
  // are outside every BEGIN/END block, so PEM readers ignore them.
  const text = [
    ...pem,
    '# qrkiosk: DCC signer certificates from the hub, replaced whole by the next signed list. Do not edit.',
    `# version: ${list.version}`,
    `# created: ${list.createdAt}`,
    `# signed-by: ${keyId}`,
    '',
  ].join('\n');
  const dir = dccTrustDir(dataDir);
  mkdirSync(dir, { recursive: true });
  // The temporary name does not end in .pem, so a reload in between never reads it.
  writeDurably(join(dir, HUB_TRUST_FILE), text, { tmp: join(dir, `.${HUB_TRUST_FILE}.tmp`) });
  return { installed: true, version: list.version, certificates: certificates.length, keyId };
}

/**
 * DSC certificates from dcc.trustFiles and `<data.dir>/dcc-trust/` (the hub's list and a technician's
 * files), as one store. A bad file is logged with its error and skipped; the others still load.
 */
export function loadTrustStore(
  settings: { dcc: { trustFiles: string[] }; data: { dir: string } },
  log: Logger,
): TrustStore {
  const store = new TrustStore();
  const dir = dccTrustDir(settings.data.dir);
  let inDir: string[] = [];
  try {
    inDir = readdirSync(dir)
      .filter((f) => /\.(pem|crt|cer|der)$/i.test(f))
      .map((f) => join(dir, f));
  } catch {
    // no folder: no certificates from there
  }
  for (const file of [...settings.dcc.trustFiles, ...inDir]) {
    try {
      store.add(readFileSync(file), file);
    } catch (err) {
      log.error({ file, err }, 'DCC signer certificate skipped');
    }
  }
  if (store.size > 0) log.info({ signers: store.size }, 'DCC signer certificates loaded');
  return store;
}
