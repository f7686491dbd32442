import { createPublicKey, generateKeyPairSync, type KeyObject, X509Certificate } from 'node:crypto';
import { createReadStream, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  BROKER_MAX_PACKET_BYTES,
  certificateDer,
  encodeFacts,
  FactsCsvError,
  FactsError,
  type FleetKind,
  fleetTopic,
  hashIdentity,
  hashPersonKey,
  KEY_BYTES,
  keyId,
  loadPrivateKey,
  mqttOptions,
  OP_DELETE,
  OP_PUT,
  parseFactsCsvHeader,
  parseFactsCsvIdentity,
  parseFactsCsvRow,
  RECORD_BYTES,
  sealUpdate,
  signBytes,
  TrustListError,
  vnDay,
} from '@qrkiosk/protocol';
import { connectAsync } from 'mqtt';
import { BadRowsError, carryOver } from './bad-rows.js';
import { byKey, ENTRY_BYTES } from './cache-entries.js';
import type { FleetCacheState } from './fleet-state.js';

export { BadRowsError, carryOver } from './bad-rows.js';

/**
 * The hub's side of the fleet updates: turn vaccination/test/recovery data (the facts CSV) into a
 * signed snapshot and a signed delta from what was published last, sign rules files and DCC trust
 * lists, and publish them retained on `qrkiosk/v1/fleet/<kind>` (docs/protocol.md). The signing key
 * lives in a file outside the repository (`keygen`); kiosks trust its public half.
 */
export function generateSigningKey(dir: string): { privateFile: string; publicFile: string; keyId: string } {
  mkdirSync(dir, { recursive: true });
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const privateFile = join(dir, 'hub-signing.key');
  const publicFile = join(dir, 'hub-signing.pub');
  // Never overwrite: during a rotation the old key must survive until every kiosk trusts the new one.
  writeFileSync(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), {
    mode: 0o600,
    flag: 'wx',
  });
  writeFileSync(publicFile, publicKey.export({ type: 'spki', format: 'pem' }), { flag: 'wx' });
  return { privateFile, publicFile, keyId: keyId(publicKey) };
}

export function readSigningKey(file: string): { privateKey: KeyObject; publicKey: KeyObject } {
  const privateKey = loadPrivateKey(readFileSync(file));
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

export { ENTRY_BYTES } from './cache-entries.js';

/**
 * The facts CSV as the fleet will see it: keyed hashes computed here, one entry per identity (a later
 * row for the same key wins), sorted by key, laid out back to back (ENTRY_BYTES each).
 */
export async function entriesFromCsv(
  csv: string,
  hashKey: Buffer,
): Promise<{
  entries: Buffer;
  count: number;
  problems: Array<{ line: number; message: string }>;
  /** Keyed hashes (hex) of the people on bad rows, where the row's id could still be read. */
  badKeys: Set<string>;
  /** Bad rows whose person cannot even be told (id_type or id unreadable). */
  unidentified: number;
  /**
   * [document hash, person node] for each good row with a `person` key (hashPersonKey): what the hub
   * links for tracing. Kiosks never see it (the published entries carry no person).
   */
  links: Array<[string, string]>;
}> {
  const records: Array<{ key: Buffer; facts: Buffer }> = [];
  const links: Array<[string, string]> = [];
  const problems: Array<{ line: number; message: string }> = [];
  const badKeys = new Set<string>();
  let unidentified = 0;
  const today = vnDay(new Date());
  let at: Record<string, number> | undefined;
  let line = 0;
  for await (const raw of createInterface({
    input: createReadStream(csv, { encoding: 'utf8' }),
    crlfDelay: Number.POSITIVE_INFINITY,
  })) {
    line++;
    const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (text.trim() === '') continue;
    const cells = text.split(',');
    if (!at) {
      at = parseFactsCsvHeader(cells);
      continue;
    }
    try {
      const row = parseFactsCsvRow(cells, at, today);
      const key = hashIdentity(hashKey, row.type, row.id);
      records.push({ key, facts: encodeFacts({ ...row.facts, source: 'hub' }) });
      if (row.person !== undefined) links.push([key.toString('hex'), hashPersonKey(hashKey, row.person)]);
    } catch (err) {
      if (!(err instanceof FactsCsvError || err instanceof FactsError)) throw err;
      problems.push({ line, message: err.message });
      try {
        const who = parseFactsCsvIdentity(cells, at);
        badKeys.add(hashIdentity(hashKey, who.type, who.id).toString('hex'));
      } catch {
        unidentified++;
      }
    }
  }
  // Key order lets kiosks build their table by appending, and lets the hub diff two sets in one pass.
  const byKey = new Map<string, { key: Buffer; facts: Buffer }>();
  for (const r of records) byKey.set(r.key.toString('hex'), r);
  const sorted = [...byKey.values()].sort((a, b) => Buffer.compare(a.key, b.key));
  const entries = Buffer.alloc(sorted.length * ENTRY_BYTES);
  sorted.forEach((r, i) => {
    r.key.copy(entries, i * ENTRY_BYTES);
    r.facts.copy(entries, i * ENTRY_BYTES + KEY_BYTES);
  });
  return { entries, count: sorted.length, problems, badKeys, unidentified, links };
}

/** QRKC1 records putting every entry (a snapshot's body). */
export function snapshotRecords(entries: Buffer): Buffer {
  const n = entries.length / ENTRY_BYTES;
  const body = Buffer.alloc(n * RECORD_BYTES);
  for (let i = 0; i < n; i++) {
    body[i * RECORD_BYTES] = OP_PUT;
    entries.copy(body, i * RECORD_BYTES + 1, i * ENTRY_BYTES, (i + 1) * ENTRY_BYTES);
  }
  return body;
}

/**
 * QRKC1 records turning `previous` into `next` (both sorted entry sets): a put for every new or changed
 * identity, a delete for every one that is gone, in key order. One merge pass, no map.
 */
export function diffEntries(
  previous: Buffer,
  next: Buffer,
): { records: Buffer; puts: number; deletes: number } {
  const out: Buffer[] = [];
  let puts = 0;
  let deletes = 0;
  const record = (op: number, entry: Buffer) => {
    const r = Buffer.alloc(RECORD_BYTES);
    r[0] = op;
    // A delete carries the key only; its facts bytes are zero.
    entry.copy(r, 1, 0, op === OP_PUT ? ENTRY_BYTES : KEY_BYTES);
    out.push(r);
  };
  for (const e of byKey(previous, next)) {
    if (!e.new) {
      record(OP_DELETE, e.old);
      deletes++;
    } else if (!e.old?.equals(e.new)) {
      record(OP_PUT, e.new);
      puts++;
    }
  }
  return { records: Buffer.concat(out), puts, deletes };
}

export interface CachePublication {
  seq: number;
  /** The full signed snapshot of `seq`: retained on `fleet/cache`, and what `--out` writes. */
  snapshot: Buffer;
  /** The signed delta previous → seq, unless this is the first publication or a snapshot was asked for. */
  delta?: { update: Buffer; baseSeq: number; puts: number; deletes: number };
  identities: number;
  problems: Array<{ line: number; message: string }>;
  /** Entries kept from the previous publication for people on bad rows (--allow-bad-rows). */
  carried: number;
  /** Document → person links of the good rows with a `person` key (entriesFromCsv), for the hub database. */
  links: Array<[string, string]>;
  /** What to remember once the publication went out (writeFleetState). */
  state: FleetCacheState;
}

/**
 * Everything one `publish-cache` run sends: the new snapshot always (a kiosk that missed a delta falls
 * back on it) and, when the hub remembers what it published last, the delta from there.
 * `seq` defaults to seconds since the epoch, and is always above the previous one.
 */
export async function prepareCachePublication(options: {
  csv: string;
  hashKey: Buffer;
  signing: { privateKey: KeyObject; publicKey: KeyObject };
  previous: FleetCacheState | null;
  seq?: number;
  snapshotOnly?: boolean;
  /** Publish despite bad rows; their people keep their previous entries (never deleted). */
  allowBadRows?: boolean;
  now?: Date;
}): Promise<CachePublication> {
  const { previous, signing } = options;
  const now = options.now ?? new Date();
  let seq = options.seq ?? Math.floor(now.getTime() / 1000);
  if (previous && seq <= previous.seq) {
    if (options.seq !== undefined)
      throw new Error(
        `--seq ${seq} không lớn hơn phiên bản đã gửi ${previous.seq} / is not above the published version ${previous.seq}`,
      );
    // Two runs within a second, or a clock set back: still strictly increasing.
    seq = previous.seq + 1;
  }
  const read = await entriesFromCsv(options.csv, options.hashKey);
  const { problems, badKeys, unidentified } = read;
  if (problems.length > 0 && !options.allowBadRows) throw new BadRowsError(problems);
  // A bad row whose person cannot be told could be anyone the previous set held: then nobody is
  // deleted this time (deletions wait for a clean file).
  const entries =
    previous && problems.length > 0
      ? carryOver(previous.entries, read.entries, (key) => unidentified > 0 || badKeys.has(key))
      : read.entries;
  const count = entries.length / ENTRY_BYTES;
  const createdAt = now.toISOString();
  const snapshot = sealUpdate(
    { kind: 'snapshot', seq, createdAt },
    snapshotRecords(entries),
    signing.privateKey,
    signing.publicKey,
  );
  const publication: CachePublication = {
    seq,
    snapshot,
    identities: count,
    problems,
    carried: count - read.count,
    links: read.links,
    state: { seq, createdAt, entries },
  };
  if (previous && !options.snapshotOnly) {
    const { records, puts, deletes } = diffEntries(previous.entries, entries);
    publication.delta = {
      update: sealUpdate(
        { kind: 'delta', seq, baseSeq: previous.seq, createdAt },
        records,
        signing.privateKey,
        signing.publicKey,
      ),
      baseSeq: previous.seq,
      puts,
      deletes,
    };
  }
  return publication;
}

/** The envelope kiosks accept on `fleet/rules`: the file's text and its detached signature. */
export function signedRulesEnvelope(
  rulesText: string,
  signing: { privateKey: KeyObject; publicKey: KeyObject },
): string {
  const signature = signBytes(
    signing.privateKey,
    Buffer.concat([Buffer.from('qrkiosk-rules/1\n', 'ascii'), Buffer.from(rulesText, 'utf8')]),
  );
  return JSON.stringify({
    rules: rulesText,
    signature: { keyId: keyId(signing.publicKey), signature: signature.toString('base64') },
  });
}

export interface BrokerLogin {
  url: string;
  username?: string;
  password?: string;
}

export interface FleetMessage {
  kind: FleetKind;
  payload: Buffer | string;
}

/**
 * Publishes retained at QoS 1, in the order given, over one connection, so a kiosk that connects later
 * gets the latest of each kind. An empty payload clears what the broker retains on that topic.
 */
export async function publishFleet(login: BrokerLogin, messages: readonly FleetMessage[]): Promise<void> {
  const client = await connectAsync(login.url, mqttOptions({ ...login, protocolVersion: 5 }));
  try {
    for (const m of messages)
      await client.publishAsync(fleetTopic(m.kind), m.payload, { qos: 1, retain: true });
  } finally {
    await client.endAsync();
  }
}

/**
 * The largest fleet update published over MQTT: the broker's max_packet_size (16 MiB, shipped in
 * hardware/mosquitto/mosquitto.conf) less 1 KiB for the topic and properties. Bigger goes as a file.
 */
export const MQTT_MAX_PAYLOAD = BROKER_MAX_PACKET_BYTES - 1024;

/**
 * DCC signer certificates from files: PEM (one or many blocks per file) or DER. Every certificate is
 * parsed here, so the hub refuses to sign a list a kiosk would refuse. Duplicates are kept once.
 */
export function certificatesFromFiles(
  files: readonly string[],
): Array<{ der: Buffer; source: string; subject: string; validTo: string }> {
  const found = new Map<string, { der: Buffer; source: string; subject: string; validTo: string }>();
  for (const file of files) {
    const bytes = readFileSync(file);
    const text = bytes.subarray(0, 64).toString('latin1').includes('-----BEGIN')
      ? bytes.toString('utf8')
      : null;
    const blocks = text
      ? [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map((m) => m[0])
      : [bytes];
    if (blocks.length === 0) throw new TrustListError('certificate', `${file}: no certificate found`);
    blocks.forEach((block, i) => {
      const source = blocks.length > 1 ? `${file}#${i + 1}` : file;
      const der = certificateDer(block, source);
      const x = new X509Certificate(der);
      found.set(der.toString('base64'), {
        der,
        source,
        subject: x.subject.replace(/\n/g, ', '),
        validTo: x.validTo,
      });
    });
  }
  return [...found.values()];
}

/** The certificate files in a folder (.pem, .crt, .cer, .der), sorted by name. */
export function certificateFilesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.(pem|crt|cer|der)$/i.test(f))
    .sort()
    .map((f) => join(dir, f));
}
