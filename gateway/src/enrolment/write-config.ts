import {
  chownSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { keyId, loadPublicKey, writeDurably } from '@qrkiosk/protocol';
import { Document, isMap, parseDocument } from 'yaml';
import { type LoadedSettings, loadSettings, SettingsError } from '../settings/index.js';
import type { Redeemed } from './redeem.js';
import { clearRevokedMark } from './unenrol.js';

/** Where an enrolled kiosk keeps what the grant gave it, under the data folder. */
export const ENROLMENT_FILES = {
  password: 'mqtt-password',
  hashKey: 'hash-key',
  ca: 'broker-ca.pem',
  hubKey: (id: string) => `hub-key-${id}.pem`,
} as const;

export type ConfigWrite =
  | { ok: true; loaded: LoadedSettings; files: string[] }
  | { ok: false; detail: string; problems?: SettingsError['problems'] };

/** The technician's kiosk.yaml as a YAML document (comments and other sections kept), or a new one. */
export function readExistingConfig(
  file: string,
): { ok: true; doc: Document } | { ok: false; detail: string } {
  if (!existsSync(file)) return { ok: true, doc: new Document({}) };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, detail: `${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  const parsed = parseDocument(text);
  if (parsed.errors.length > 0) return { ok: false, detail: `${file}: ${parsed.errors[0]?.message}` };
  // Edited, not only parsed: the kiosk's sections are set into it.
  const doc = parsed as unknown as Document;
  // An empty file, or one of comments only: start a mapping (the comments stay at the top).
  if (doc.contents === null) doc.contents = doc.createNode({});
  else if (!isMap(doc.contents)) return { ok: false, detail: `${file}: not a YAML mapping` };
  return { ok: true, doc };
}

/**
 * Writes the grant's secrets into `dataDir` (mode 600, durably) and the kiosk.yaml that names them.
 * The new kiosk.yaml is written aside, loaded with the gateway's own loadSettings (which reads every
 * secret file it names), and only then renamed over `file`: a config that does not load is never put in
 * place, and a power cut leaves the old file or the new one.
 */
export function writeEnrolledConfig(
  file: string,
  dataDir: string,
  doc: Document,
  r: Redeemed,
  env: NodeJS.ProcessEnv = process.env,
): ConfigWrite {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  mkdirSync(dirname(resolve(file)), { recursive: true });
  // Enrolled anew (a new code from an admin): a revocation that could not rewrite the old file is over.
  clearRevokedMark(dir);
  const { grant } = r;
  // `sudo qrkiosk enrol …` writes as root, but the daemon runs as the data folder's owner (qrkiosk):
  // a root-owned 600 file would be unreadable to it, so the secrets go to that owner.
  const owner = process.getuid?.() === 0 ? statSync(dir) : undefined;
  const secret = (name: string, data: string) => {
    const path = join(dir, name);
    writeDurably(path, data, { mode: 0o600 });
    if (owner) chownSync(path, owner.uid, owner.gid);
    return path;
  };
  const password = secret(ENROLMENT_FILES.password, r.password);
  // Hex, one line: the form parseDeploymentKey (privacy.hashKeyFile) decodes, as `openssl rand -hex 32` makes.
  const hashKey = secret(ENROLMENT_FILES.hashKey, `${r.hashKey.toString('hex')}\n`);
  const hubKeys = grant.hubPublicKeys.map((pem) =>
    secret(ENROLMENT_FILES.hubKey(keyId(loadPublicKey(pem))), pem.endsWith('\n') ? pem : `${pem}\n`),
  );
  const ca = grant.broker.ca !== undefined ? secret(ENROLMENT_FILES.ca, grant.broker.ca) : undefined;

  doc.setIn(['kiosk', 'id'], grant.kiosk);
  doc.setIn(['kiosk', 'site'], grant.site);
  doc.setIn(['kiosk', 'direction'], grant.direction);
  doc.setIn(['mqtt', 'url'], grant.broker.url);
  doc.setIn(['mqtt', 'username'], grant.username);
  doc.setIn(['mqtt', 'passwordFile'], password);
  // A CA from an earlier enrolment must not outlive a broker that no longer uses one.
  if (ca) doc.setIn(['mqtt', 'caFile'], ca);
  else doc.deleteIn(['mqtt', 'caFile']);
  doc.setIn(['privacy', 'hashKeyFile'], hashKey);
  // The grant's keys are the hub's word on which keys sign its updates: they replace any listed before.
  doc.setIn(['updates', 'publicKeyFiles'], doc.createNode(hubKeys, { flow: false }));
  doc.setIn(['data', 'dir'], dir);

  const aside = `${file}.enrol`;
  writeDurably(aside, doc.toString(), { mode: 0o644 });
  let loaded: LoadedSettings;
  try {
    loaded = loadSettings(aside, env);
  } catch (err) {
    rmSync(aside, { force: true });
    if (err instanceof SettingsError)
      return { ok: false, detail: 'the new kiosk.yaml does not load', problems: err.problems };
    throw err;
  }
  renameSync(aside, file);
  syncFolder(dirname(resolve(file)));
  return {
    ok: true,
    loaded: { ...loaded, file },
    files: [password, hashKey, ...hubKeys, ...(ca ? [ca] : [])],
  };
}

/** The rename itself survives a power cut once the folder is synced (as writeDurably does for its own). */
function syncFolder(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
