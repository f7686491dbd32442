import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createReadStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  encodeFacts,
  FactsCsvError,
  FactsError,
  fleetTopic,
  hashIdentity,
  keyId,
  loadPrivateKey,
  OP_PUT,
  parseFactsCsvHeader,
  parseFactsCsvRow,
  RECORD_BYTES,
  sealUpdate,
  signBytes,
  vnDay,
} from '@qrkiosk/protocol';
import { connectAsync } from 'mqtt';

/**
 * The hub's side of the fleet updates: turn vaccination/test/recovery data (the facts CSV) into a
 * signed snapshot, sign rules files, and publish both retained on `qrkiosk/v1/fleet/<kind>`. The
 * signing key lives in a file outside the repository (`keygen`); kiosks trust its public half.
 */
export function generateSigningKey(dir: string): { privateFile: string; publicFile: string; keyId: string } {
  mkdirSync(dir, { recursive: true });
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const privateFile = join(dir, 'hub-signing.key');
  const publicFile = join(dir, 'hub-signing.pub');
  writeFileSync(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(publicFile, publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateFile, publicFile, keyId: keyId(publicKey) };
}

export function readSigningKey(file: string): { privateKey: KeyObject; publicKey: KeyObject } {
  const privateKey = loadPrivateKey(readFileSync(file));
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** A signed snapshot from a facts CSV: keyed hashes computed here, records sorted by key. */
export async function snapshotFromCsv(
  csv: string,
  hashKey: Buffer,
  seq: number,
  signing: { privateKey: KeyObject; publicKey: KeyObject },
): Promise<{ update: Buffer; records: number; problems: Array<{ line: number; message: string }> }> {
  const records: Array<{ key: Buffer; facts: Buffer }> = [];
  const problems: Array<{ line: number; message: string }> = [];
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
      records.push({
        key: hashIdentity(hashKey, row.type, row.id),
        facts: encodeFacts({ ...row.facts, source: 'hub' }),
      });
    } catch (err) {
      if (err instanceof FactsCsvError || err instanceof FactsError)
        problems.push({ line, message: err.message });
      else throw err;
    }
  }
  // Key order lets kiosks build their table by appending; a later row for the same key wins.
  const byKey = new Map<string, { key: Buffer; facts: Buffer }>();
  for (const r of records) byKey.set(r.key.toString('hex'), r);
  const sorted = [...byKey.values()].sort((a, b) => Buffer.compare(a.key, b.key));
  const body = Buffer.alloc(sorted.length * RECORD_BYTES);
  sorted.forEach((r, i) => {
    const o = i * RECORD_BYTES;
    body[o] = OP_PUT;
    r.key.copy(body, o + 1);
    r.facts.copy(body, o + 17);
  });
  const update = sealUpdate(
    { kind: 'snapshot', seq, createdAt: new Date().toISOString() },
    body,
    signing.privateKey,
    signing.publicKey,
  );
  return { update, records: sorted.length, problems };
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

/** Publishes retained at QoS 1, so a kiosk that connects later gets the latest update. */
export async function publishRetained(
  login: BrokerLogin,
  kind: 'cache' | 'rules',
  payload: Buffer | string,
): Promise<void> {
  const client = await connectAsync(login.url, {
    protocolVersion: 5,
    ...(login.username ? { username: login.username } : {}),
    ...(login.password !== undefined ? { password: login.password } : {}),
  });
  try {
    await client.publishAsync(fleetTopic(kind), payload, { qos: 1, retain: true });
  } finally {
    await client.endAsync();
  }
}
