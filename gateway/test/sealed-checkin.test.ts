/**
 * The kiosk seals each check-in's full identity to the deployment tracing key (privacy.tracingPublicKeyFile)
 * and sends the hashes of the scan's other documents (document.links). Boxes are opened here with protocol's
 * openIdentity and once, from the journal file itself, with Python's `cryptography` (an implementation we did
 * not write). The payloads are the shared VN cases (/work/shared/testdata/vn).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CheckinMessage,
  generateTracingKeys,
  openIdentity,
  readTracingPrivateKey,
  readTracingPublicKey,
} from '@qrkiosk/protocol';
import { Cleanups, makeTempDir, sharedDir } from '@qrkiosk/testkit';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { tracingCheck } from '../src/doctor/tracing.js';
import { hashIdentity } from '../src/index.js';
import { identitySealer } from '../src/record/seal.js';
import { SettingsError, settingsFromText } from '../src/settings/index.js';
import { kioskStarter } from './kiosk-rig.js';

const cases = new Map(
  readFileSync(join(sharedDir(), 'testdata/vn/cases.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { id: string; payload: string })
    .map((c) => [c.id, c.payload] as const),
);
const payload = (id: string): string => {
  const p = cases.get(id);
  if (!p) throw new Error(`no shared case ${id}`);
  return p;
};

const cleanups = new Cleanups();
afterEach(() => cleanups.run());
const start = kioskStarter(cleanups);

const tracingPair = () => {
  const made = generateTracingKeys(makeTempDir('tracing-'));
  return { ...made, priv: readTracingPrivateKey(readFileSync(made.privateFile)) };
};

/** Every byte under the data folder (journal, WAL, cache, state), to look for a number in clear. */
const folderBytes = (dir: string): Buffer =>
  Buffer.concat(
    readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .map((f) => join(dir, f))
      .filter((f) => statSync(f).isFile())
      .map((f) => readFileSync(f)),
  );

const journaled = (dir: string, id: string): CheckinMessage => {
  const db = new Database(join(dir, 'journal.db'), { readonly: true });
  try {
    const row = db.prepare('SELECT message FROM checkins WHERE id = ?').get(id) as { message: string };
    return JSON.parse(row.message) as CheckinMessage;
  } finally {
    db.close();
  }
};

const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const OPEN_PY = `
import sys, json, base64
from cryptography.hazmat.primitives import serialization, hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
req = json.load(sys.stdin)
priv = serialization.load_pem_private_key(req['key'].encode(), None)
raw = priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
box = base64.b64decode(req['box'])
epk = box[:32]
key = HKDF(algorithm=hashes.SHA256(), length=32, salt=epk + raw, info=b'qrkiosk identity seal v1').derive(priv.exchange(X25519PublicKey.from_public_bytes(epk)))
print(AESGCM(key).decrypt(box[32:44], box[44:], ('qrkiosk.checkin/1|' + req['id']).encode()).decode())
`;

describe('sealed identity at the kiosk', () => {
  it('seals a CCCD, a BHYT card, a masked personal QR and a manual entry; links the other documents', async () => {
    const keys = tracingPair();
    const dir = makeTempDir('sealed-kiosk-');
    const k = await start(dir, { extra: [`privacy: { tracingPublicKeyFile: "${keys.publicFile}" }`] });
    const hashKey = k.controller.identityHashKey();
    const h = (type: Parameters<typeof hashIdentity>[1], v: string) =>
      hashIdentity(hashKey, type, v).toString('hex');

    const cccd = k.controller.scan(payload('cccd-7field'))?.checkin;
    if (!cccd) throw new Error('the CCCD was not recorded');
    expect(cccd.document.sealed?.kid).toBe(keys.kid);
    expect(cccd.document.idHash).toBe(h('cccd', '079090001234'));
    expect(cccd.document.links).toEqual([h('cmnd', '272345678')]);
    expect(openIdentity([keys.priv], cccd.id, cccd.document.sealed!)).toEqual({
      v: 1,
      kind: 'cccd',
      number: '079090001234',
      former: '272345678',
      name: 'Nguyễn Văn An',
      dob: '1990-08-15',
    });

    const bhyt = k.controller.scan(payload('bhyt-15field'))?.checkin;
    if (!bhyt) throw new Error('the BHYT card was not recorded');
    expect(bhyt.document.idHash).toBe(h('bhyt', 'GD4795612345678'));
    expect(bhyt.document.links).toEqual([h('bhxh', '5612345678')]);
    expect(openIdentity([keys.priv], bhyt.id, bhyt.document.sealed!)).toMatchObject({
      kind: 'bhyt',
      number: 'GD4795612345678',
      name: 'Nguyễn Văn An',
    });

    // A masked personal QR names the person by its QID alone: nothing else to link, the QID is sealed.
    const qr = k.controller.scan(payload('personal-masked'))?.checkin;
    if (!qr) throw new Error('the personal QR was not recorded');
    expect(qr.document.idHash).toBe(h('qid', '162979388586171100'));
    expect(qr.document.links).toBeUndefined();
    expect(openIdentity([keys.priv], qr.id, qr.document.sealed!)).toEqual({
      v: 1,
      kind: 'personal-qr',
      number: '******001234',
      name: 'NGUYEN VAN AN',
      dob: '1990-08-15',
      qid: '162979388586171100',
    });

    const manual = k.controller.manualCheckin('Hoàng Thị Mai', '0912 345 678');
    expect(openIdentity([keys.priv], manual.id, manual.document.sealed!)).toEqual({
      v: 1,
      kind: 'manual',
      number: '0912345678',
      name: 'Hoàng Thị Mai',
      phone: '0912345678',
    });
    expect(manual.document.links).toBeUndefined();

    // What was journaled (and will be sent) is what the scan returned; Python opens it from the file.
    const row = journaled(dir, cccd.id);
    expect(row.document).toEqual(cccd.document);
    const opened = execFileSync(python, ['-c', OPEN_PY], {
      input: JSON.stringify({
        key: readFileSync(keys.privateFile, 'utf8'),
        box: row.document.sealed?.box,
        id: row.id,
      }),
      encoding: 'utf8',
    });
    expect(JSON.parse(opened)).toMatchObject({ number: '079090001234', former: '272345678' });

    await k.controller.stop();
    const bytes = folderBytes(dir);
    for (const clear of ['079090001234', '272345678', 'GD4795612345678', '0912345678', '162979388586171100'])
      expect(bytes.includes(Buffer.from(clear)), clear).toBe(false);
  });

  it('the next seal is prepared after a scan, on a later turn: every box has its own ephemeral key', async () => {
    const keys = tracingPair();
    const turns: Array<() => void> = [];
    const sealer = identitySealer(readTracingPublicKey(readFileSync(keys.publicFile)), (fn) =>
      turns.push(fn),
    );
    if (!sealer) throw new Error('no sealer with a key');
    const clear = { v: 1, kind: 'manual', number: '0912345678', name: 'Hoàng Thị Mai' } as const;
    expect(turns).toHaveLength(1); // the first preparation, asked for at once
    turns.shift()?.();
    const epks = new Set<string>();
    const ids = ['01J9Z8Y7X6W5V4T3S2R1Q0P9N8', '01J9Z8Y7X6W5V4T3S2R1Q0P9N9', '01J9Z8Y7X6W5V4T3S2R1Q0P9NA'];
    for (const [i, id] of ids.entries()) {
      const box = sealer(id, clear);
      expect(openIdentity([keys.priv], id, box)).toEqual(clear);
      epks.add(Buffer.from(box.box, 'base64').subarray(0, 32).toString('hex'));
      // One preparation asked for at a time; the last scan's is left to run after the loop.
      expect(turns).toHaveLength(1);
      if (i === 0) turns.shift()?.();
    }
    expect(epks.size).toBe(3);
  });

  it('an identity too long for a box (750 bytes of name) is recorded without one, never lost', async () => {
    const keys = tracingPair();
    const k = await start(makeTempDir('sealed-long-'), {
      extra: [`privacy: { tracingPublicKeyFile: "${keys.publicFile}" }`],
    });
    const long = `079090001234|272345678|${'Ễ'.repeat(250)}|15081990|Nam|Quận 1|20042021`;
    const outcome = k.controller.scan(long);
    expect(outcome?.decision.reason.code).not.toBe('record-failed');
    expect(outcome?.checkin?.id).toBeDefined();
    expect(outcome?.checkin?.document.sealed).toBeUndefined();
    expect(outcome?.checkin?.document.links).toHaveLength(1);
    expect(k.controller.journal.pendingCount()).toBe(1);
  });

  it('without a tracing key: no box, the links still go', async () => {
    const k = await start(makeTempDir('unsealed-kiosk-'));
    const cccd = k.controller.scan(payload('cccd-7field'))?.checkin;
    expect(cccd?.document.sealed).toBeUndefined();
    expect(cccd?.document.links).toHaveLength(1);
    expect(k.controller.manualCheckin('Hoàng Thị Mai', '0912345678').document.sealed).toBeUndefined();
  });
});

const MINIMAL = 'kiosk: { id: k-001, site: s-001 }\n';
const problemsOf = (text: string) => {
  try {
    settingsFromText(text, 'kiosk.yaml', {});
  } catch (err) {
    if (err instanceof SettingsError) return err.problems;
    throw err;
  }
  throw new Error('expected a SettingsError');
};

describe('privacy.tracingPublicKeyFile', () => {
  it('loads the public key; the doctor says ok with its kid, and warns without one', () => {
    const keys = tracingPair();
    const loaded = settingsFromText(
      `${MINIMAL}privacy: { tracingPublicKeyFile: "${keys.publicFile}" }\n`,
      'kiosk.yaml',
      {},
    );
    expect(loaded.secrets.tracingKey?.kid).toBe(keys.kid);
    expect(tracingCheck(loaded)).toMatchObject({ id: 'tracing', status: 'ok', values: { kid: keys.kid } });
    const bare = tracingCheck(settingsFromText(MINIMAL, 'kiosk.yaml', {}));
    expect(bare).toMatchObject({ id: 'tracing', status: 'warn' });
    expect(bare.message.vi).toContain('privacy.tracingPublicKeyFile');
    expect(bare.message.en).toContain('cannot be revealed');
  });
  it('a missing file, the private key or a file that is no key: a settings error naming the path, both languages', () => {
    const keys = tracingPair();
    const notKey = join(makeTempDir('tracing-bad-'), 'tracing.pub');
    const cases: Array<[string, RegExp]> = [
      ['/nonexistent/tracing.pub', /ENOENT/],
      [keys.privateFile, /private key/],
      [notKey, /PEM/],
    ];
    writeFileSync(notKey, 'hello\n');
    for (const [file, why] of cases) {
      const [p, ...rest] = problemsOf(`${MINIMAL}privacy: { tracingPublicKeyFile: "${file}" }\n`);
      expect(rest).toEqual([]);
      expect(p).toMatchObject({ path: 'privacy.tracingPublicKeyFile', value: file });
      expect(p?.problem.en).toMatch(why);
      expect(p?.problem.en).toContain(file);
      expect(p?.problem.vi).toContain(file);
      expect(p?.fix?.vi).toContain('tracing.pub');
    }
  });
});
