/**
 * The hub's fleet publications: the delta arithmetic, the state file it keeps between runs, and the
 * `publish-cache` / `publish-trust` commands against a real Mosquitto (what is retained where).
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDccSigner } from '@qrkiosk/firmware-sim';
import {
  fleetTopic,
  KeyRing,
  loadPublicKey,
  OP_DELETE,
  OP_PUT,
  openTrustList,
  openUpdate,
  RECORD_BYTES,
  TrustListError,
} from '@qrkiosk/protocol';
import { makeTempDir, REPO_ROOT, type RunningMosquitto, startMosquitto, waitFor } from '@qrkiosk/testkit';
import fc from 'fast-check';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  diffEntries,
  ENTRY_BYTES,
  FleetStateError,
  prepareCachePublication,
  readFleetState,
  readSigningKey,
  writeFleetState,
} from '../src/index.js';

const HUB_CLI = join(REPO_ROOT, 'hub/dist/cli.js');

const entriesOf = (m: Map<string, Buffer>) =>
  Buffer.concat(
    [...m.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, facts]) => Buffer.concat([Buffer.from(k, 'hex'), facts])),
  );

describe('deltas between two published sets', () => {
  it('turns the previous set into the next one exactly, with puts only for what changed', () => {
    const key = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('hex'));
    const facts = fc.constantFrom(...[0, 1, 2].map((n) => Buffer.alloc(16, n)));
    const set = fc.dictionary(key, facts, { maxKeys: 40 });
    fc.assert(
      fc.property(set, set, set, (a, b, shared) => {
        // Some identities in both sets, with the same or different facts.
        const prev = new Map([...Object.entries(a), ...Object.entries(shared)]);
        const next = new Map([...Object.entries(b), ...Object.entries(shared)]);
        const { records, puts, deletes } = diffEntries(entriesOf(prev), entriesOf(next));
        const applied = new Map<string, Buffer>(prev);
        let lastKey = '';
        for (let o = 0; o < records.length; o += RECORD_BYTES) {
          const k = records.subarray(o + 1, o + 17).toString('hex');
          expect(k > lastKey).toBe(true);
          lastKey = k;
          if (records[o] === OP_PUT) applied.set(k, records.subarray(o + 17, o + RECORD_BYTES));
          else {
            expect(records[o]).toBe(OP_DELETE);
            applied.delete(k);
          }
        }
        expect(entriesOf(applied).equals(entriesOf(next))).toBe(true);
        const changed = [...next].filter(([k, f]) => !prev.get(k)?.equals(f)).length;
        expect(puts).toBe(changed);
        expect(deletes).toBe([...prev.keys()].filter((k) => !next.has(k)).length);
        expect(records.length).toBe((puts + deletes) * RECORD_BYTES);
      }),
    );
  });
});

describe('the hub state file', () => {
  it('round-trips, and refuses a damaged or truncated file instead of diffing against it', () => {
    const dir = makeTempDir('fleet-state-');
    expect(readFleetState(dir)).toBeNull();
    const entries = randomBytes(5 * ENTRY_BYTES);
    writeFleetState(dir, { seq: 42, createdAt: '2021-11-01T00:00:00.000Z', entries });
    const back = readFleetState(dir);
    expect(back?.seq).toBe(42);
    expect(back?.entries.equals(entries)).toBe(true);
    const file = join(dir, 'fleet-cache.state');
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 7));
    expect(() => readFleetState(dir)).toThrow(FleetStateError);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 1;
    writeFileSync(file, flipped);
    expect(() => readFleetState(dir)).toThrow(/checksum/);
  });
});

describe('qrkiosk-hub publish-cache and publish-trust through Mosquitto', () => {
  let broker: RunningMosquitto;
  const dir = makeTempDir('hub-fleet-');
  const hashKey = join(dir, 'identity.key');
  const csv = join(dir, 'facts.csv');
  const header =
    'id_type,id,doses_received,primary_series_complete,first_dose_date,last_dose_date,recovered_date,negative_test_at,negative_test_type,case_status,case_until';
  const row = (id: string, doses: number) =>
    `cccd,${id},${doses},${doses >= 2 ? 1 : 0},2021-07-01,2021-08-01,,,,none,`;
  const hub = (args: string[]) =>
    spawnSync(process.execPath, [HUB_CLI, ...args, '--mqtt', broker.url], { encoding: 'utf8' });
  const publishCache = (rows: string[], extra: string[]) => {
    writeFileSync(csv, [header, ...rows].join('\n'));
    return hub([
      'publish-cache',
      '--csv',
      csv,
      '--key-file',
      hashKey,
      '--signing-key',
      join(dir, 'keys/hub-signing.key'),
      '--state-dir',
      join(dir, 'state'),
      ...extra,
    ]);
  };
  const ring = new KeyRing();
  /** What the broker retains on a fleet topic now (empty: nothing). */
  const retained = async (kind: Parameters<typeof fleetTopic>[0]): Promise<Buffer> => {
    const client = await connectAsync(broker.url);
    const got: Buffer[] = [];
    client.on('message', (t, p) => {
      if (t === fleetTopic(kind)) got.push(p);
    });
    await client.subscribeAsync(fleetTopic(kind), { qos: 1 });
    // A marker published after subscribing arrives after any retained message on the same connection.
    const marker = `${fleetTopic(kind)}-marker-${randomBytes(4).toString('hex')}`;
    let seenMarker = false;
    client.on('message', (t) => {
      if (t === marker) seenMarker = true;
    });
    await client.subscribeAsync(marker, { qos: 1 });
    await client.publishAsync(marker, 'x', { qos: 1 });
    await waitFor(() => (seenMarker ? true : undefined), 5000, 'marker');
    await client.endAsync();
    return got[0] ?? Buffer.alloc(0);
  };

  beforeAll(async () => {
    broker = await startMosquitto();
    writeFileSync(hashKey, randomBytes(32).toString('hex'));
    expect(spawnSync(process.execPath, [HUB_CLI, 'keygen', '--out', join(dir, 'keys')]).status).toBe(0);
    ring.add(loadPublicKey(readFileSync(join(dir, 'keys/hub-signing.pub'))));
  });
  afterAll(async () => {
    await broker.stop();
  });

  it('keygen refuses to overwrite a signing key (a rotation must not destroy the old one)', () => {
    const before = readFileSync(join(dir, 'keys/hub-signing.key'));
    const again = spawnSync(process.execPath, [HUB_CLI, 'keygen', '--out', join(dir, 'keys')], {
      encoding: 'utf8',
    });
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/already holds a signing key/);
    expect(readFileSync(join(dir, 'keys/hub-signing.key')).equals(before)).toBe(true);
  });

  it('publishes a snapshot first, then a delta beside the new snapshot; --snapshot clears the delta', async () => {
    const first = publishCache([row('079090001234', 2), row('001185012345', 1)], ['--seq', '100']);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/snapshot 100 published: 2 identities/);
    expect((await retained('cache-delta')).length).toBe(0);
    expect(openUpdate(await retained('cache'), ring).header).toMatchObject({ kind: 'snapshot', seq: 100 });

    const second = publishCache([row('001185012345', 2), row('036200000001', 1)], ['--seq', '110']);
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/delta 100→110 published: 2 added or changed, 1 removed/);
    const delta = openUpdate(await retained('cache-delta'), ring);
    expect(delta.header).toMatchObject({ kind: 'delta', seq: 110, baseSeq: 100, records: 3 });
    expect(openUpdate(await retained('cache'), ring).header).toMatchObject({
      kind: 'snapshot',
      seq: 110,
      records: 2,
    });

    // A --seq that does not grow is refused, and nothing changes.
    const stale = publishCache([row('001185012345', 2)], ['--seq', '110']);
    expect(stale.status).toBe(2);
    expect(stale.stderr).toMatch(/not above the published version 110/);
    expect(readFleetState(join(dir, 'state'))?.seq).toBe(110);

    const forced = publishCache([row('001185012345', 2)], ['--seq', '120', '--snapshot']);
    expect(forced.status).toBe(0);
    expect(forced.stdout).not.toMatch(/delta/);
    expect((await retained('cache-delta')).length).toBe(0);
    expect(openUpdate(await retained('cache'), ring).header).toMatchObject({ kind: 'snapshot', seq: 120 });
  });

  it('writes a snapshot too big for MQTT to --out and publishes only the delta; without --out it refuses', async () => {
    const rows = [row('001185012345', 2), row('036200000002', 2)];
    // A limit just below this snapshot: the delta (one record instead of two) still fits under it.
    writeFileSync(csv, [header, ...rows].join('\n'));
    const planned = await prepareCachePublication({
      csv,
      hashKey: Buffer.from(readFileSync(hashKey, 'utf8').trim(), 'hex'),
      signing: readSigningKey(join(dir, 'keys/hub-signing.key')),
      previous: readFleetState(join(dir, 'state')),
      seq: 130,
    });
    const limit = String(planned.snapshot.length - 1);
    expect(planned.delta?.update.length).toBeLessThanOrEqual(planned.snapshot.length - 1);
    const refused = publishCache(rows, ['--seq', '130', '--mqtt-max-bytes', limit]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/too big for MQTT: use --out FILE/);
    expect(readFleetState(join(dir, 'state'))?.seq).toBe(120);

    const file = join(dir, 'snapshot-130.qrkc');
    const big = publishCache(rows, ['--seq', '130', '--mqtt-max-bytes', limit, '--out', file]);
    expect(big.status).toBe(0);
    expect(big.stdout).toMatch(/delta 120→130 published: 1 added or changed, 0 removed/);
    expect(big.stdout).toMatch(/snapshot 130 NOT published over MQTT/);
    expect(openUpdate(readFileSync(file), ring).header).toMatchObject({
      kind: 'snapshot',
      seq: 130,
      records: 2,
    });
    expect(openUpdate(await retained('cache-delta'), ring).header).toMatchObject({ seq: 130, baseSeq: 120 });
    // The broker still holds the previous snapshot: a kiosk that fell behind needs the file.
    expect(openUpdate(await retained('cache'), ring).header.seq).toBe(120);

    // --no-publish: a file only, and the state moves on to what the file holds.
    const offline = join(dir, 'snapshot-140.qrkc');
    const quiet = publishCache(rows, ['--seq', '140', '--no-publish', '--out', offline]);
    expect(quiet.status).toBe(0);
    expect(openUpdate(readFileSync(offline), ring).header.seq).toBe(140);
    expect(openUpdate(await retained('cache-delta'), ring).header.seq).toBe(130);
    expect(readFleetState(join(dir, 'state'))?.seq).toBe(140);

    // A delta over the limit is not published either (the broker would cut the publisher off).
    const tooBig = publishCache(
      [row('036200000003', 2)],
      ['--seq', '145', '--mqtt-max-bytes', '100', '--out', file],
    );
    expect(tooBig.status).toBe(2);
    expect(tooBig.stderr).toMatch(/delta of .* is too big for MQTT/);
    expect(readFleetState(join(dir, 'state'))?.seq).toBe(140);
  });

  it('a CSV with bad rows writes and publishes nothing; --allow-bad-rows never turns a bad row into a deletion', async () => {
    const state = join(dir, 'state');
    const f0 = (id: string, primary = '1') =>
      `cccd,${id},2,${primary},2021-07-01,2021-08-01,,,,f0,2099-01-01`;
    expect(
      publishCache([row('001185012345', 2), f0('036200000002'), row('079090009999', 2)], ['--seq', '150'])
        .status,
    ).toBe(0);
    const published = readFleetState(state);
    // An Excel export wrote TRUE for the F0 person's primary_series_complete.
    const excel = f0('036200000002', 'TRUE');
    const file = join(dir, 'bad-160.qrkc');
    const refused = publishCache(
      [row('001185012345', 2), excel, row('079090009999', 2)],
      ['--seq', '160', '--out', file],
    );
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/facts\.csv:3: primary_series_complete must be 0 or 1/);
    expect(refused.stderr).toMatch(/nothing written or published/);
    expect(existsSync(file)).toBe(false);
    expect(readFleetState(state)?.seq).toBe(150);
    expect(openUpdate(await retained('cache'), ring).header.seq).toBe(150);

    // Allowed: the F0 person keeps exactly the entry kiosks hold; only the person really gone is removed.
    const allowed = publishCache([excel, row('079090009999', 2)], ['--seq', '160', '--allow-bad-rows']);
    expect(allowed.status).toBe(1);
    expect(allowed.stdout).toMatch(/delta 150→160 published: 0 added or changed, 1 removed/);
    expect(allowed.stdout).toMatch(/kept the previous facts of 1 people on bad rows/);
    const entriesOf = (entries: Buffer) =>
      Array.from({ length: entries.length / ENTRY_BYTES }, (_, i) =>
        entries.subarray(i * ENTRY_BYTES, (i + 1) * ENTRY_BYTES).toString('hex'),
      );
    const after = readFleetState(state);
    expect(after?.seq).toBe(160);
    expect(entriesOf(after?.entries ?? Buffer.alloc(0))).toHaveLength(2);
    expect(entriesOf(published?.entries ?? Buffer.alloc(0))).toEqual(
      expect.arrayContaining(entriesOf(after?.entries ?? Buffer.alloc(0))),
    );
    expect(openUpdate(await retained('cache'), ring).header).toMatchObject({ seq: 160, records: 2 });

    // A bad row whose person cannot be told could be anyone: then nobody is deleted this time.
    const unreadable = publishCache(
      [excel, 'cccd,NOT-A-NUMBER,2,1,,,,,,none,'],
      ['--seq', '170', '--allow-bad-rows'],
    );
    expect(unreadable.status).toBe(1);
    expect(unreadable.stdout).toMatch(/delta 160→170 published: 0 added or changed, 0 removed/);
    expect(readFleetState(state)?.entries.length).toBe(2 * ENTRY_BYTES);
  });

  it('publish-trust signs a list a kiosk can open, and refuses a file that is not a certificate', async () => {
    const certs = join(dir, 'certs');
    const notCert = join(dir, 'not-a-cert.pem');
    writeFileSync(notCert, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    const bad = hub(['publish-trust', '--file', notCert, '--signing-key', join(dir, 'keys/hub-signing.key')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/not an X\.509 certificate/);
    expect((await retained('trust')).length).toBe(0);

    // A document-signer certificate as a health authority would issue one (firmware-sim's DCC issuer).
    const signer = await createDccSigner({ alg: 'ES256' });
    mkdirSync(certs);
    writeFileSync(join(certs, 'dsc.pem'), signer.certificatePem);
    writeFileSync(join(certs, 'README.txt'), 'not read');
    const good = hub([
      'publish-trust',
      '--dir',
      certs,
      '--signing-key',
      join(dir, 'keys/hub-signing.key'),
      '--version',
      '7',
    ]);
    expect(good.status).toBe(0);
    expect(good.stdout).toMatch(/DCC trust list 7 published: 1 certificates/);
    const opened = openTrustList(await retained('trust'), ring);
    expect(opened.list.version).toBe(7);
    expect(opened.certificates.map((c) => c.equals(signer.certificateDer))).toEqual([true]);
    // A kiosk that trusts another hub key refuses the same list, saying why.
    const stranger = new KeyRing();
    stranger.add(generateKeyPairSync('ed25519').publicKey);
    let code: string | undefined;
    try {
      openTrustList(await retained('trust'), stranger);
    } catch (err) {
      if (err instanceof TrustListError) code = err.code;
    }
    expect(code).toBe('unknown-key');
  });
});
