/**
 * `publish-revocation` input: EU gateway revocation batches. Every field is checked before signing,
 * so the hub never signs what a kiosk would refuse or misread; expired batches are left out.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeyRing, loadPublicKey, openRevocationList, RevocationListError } from '@qrkiosk/protocol';
import { makeTempDir, REPO_ROOT } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';
import { batchesFromFiles } from '../src/revocation-batches.js';

const dir = makeTempDir('revocation-batches-');
let n = 0;
const file = (content: unknown) => {
  const f = join(dir, `b${n++}.json`);
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
};
const hash = () => randomBytes(16).toString('base64');
const batch = (over: Record<string, unknown> = {}) => ({
  country: 'AT',
  expires: '2099-01-01T00:00:00Z',
  kid: randomBytes(8).toString('base64'),
  hashType: 'SIGNATURE',
  entries: [{ hash: hash() }, { hash: hash() }],
  ...over,
});
const refusal = (content: unknown) => {
  try {
    batchesFromFiles([file(content)]);
  } catch (err) {
    expect(err).toBeInstanceOf(RevocationListError);
    return (err as Error).message;
  }
  return 'accepted';
};

describe('revocation batches (publish-revocation input)', () => {
  it('reads one batch or an array of them; leaves expired batches out', () => {
    const r = batchesFromFiles(
      [file(batch()), file([batch({ hashType: 'UCI' }), batch({ expires: '2020-01-01T00:00:00Z' })])],
      new Date('2026-01-01T00:00:00Z'),
    );
    expect(r.sections.map((s) => s.type)).toEqual(['SIGNATURE', 'UCI']);
    expect(r.sections[0]!.hashes).toHaveLength(2);
    expect(r.expired).toBe(1);
  });

  it('refuses bad input with the file and field named', () => {
    expect(refusal('{not json')).toMatch(/not JSON/);
    expect(refusal(batch({ hashType: 'uci' }))).toMatch(/hashType.*UCI, COUNTRYCODEUCI, SIGNATURE/);
    expect(refusal(batch({ kid: 'not base64!' }))).toMatch(/"kid" must be base64/);
    expect(refusal(batch({ kid: undefined }))).toMatch(/"kid"/);
    expect(refusal(batch({ entries: [{ hash: randomBytes(32).toString('base64') }] }))).toMatch(
      /entries\[0\]\.hash has 32 bytes; a revocation hash has 16/,
    );
    expect(refusal(batch({ entries: [{ hash: '%%%' }] }))).toMatch(/entries\[0\]\.hash must be base64/);
    expect(refusal(batch({ entries: [hash()] }))).toMatch(/entries\[0\]\.hash/);
    expect(refusal(batch({ entries: 'x' }))).toMatch(/"entries" must be an array/);
    expect(refusal(batch({ expires: 'soon' }))).toMatch(/"expires"/);
    expect(refusal([batch(), 42])).toMatch(/\[1\]: a batch must be a JSON object/);
  });
});

describe('qrkiosk-hub publish-revocation', () => {
  const cli = join(REPO_ROOT, 'hub/dist/cli.js');
  const hub = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  it('writes a signed list a kiosk opens; refuses to publish one above the MQTT limit without --out', () => {
    expect(hub(['keygen', '--out', join(dir, 'keys')]).status).toBe(0);
    const b = batch();
    const args = [
      'publish-revocation',
      '--file',
      file([b, b]),
      '--signing-key',
      join(dir, 'keys/hub-signing.key'),
      '--data-dir',
      join(dir, 'hub-data'),
    ];
    const written = hub([...args, '--version', '5', '--out', join(dir, 'list.qrkr'), '--no-publish']);
    expect(written.status).toBe(0);
    expect(written.stdout).toMatch(/DCC revocation list 5 written to .*: 4 hashes, 2 batches/);
    const keys = new KeyRing();
    keys.add(loadPublicKey(readFileSync(join(dir, 'keys/hub-signing.pub'))));
    const { header, sections } = openRevocationList(readFileSync(join(dir, 'list.qrkr')), keys);
    // The same batch twice: one section, each hash once.
    expect(header.version).toBe(5);
    expect(sections.map((s) => s.hashes.length / 16)).toEqual([2]);
    const tooBig = hub([...args, '--mqtt-max-bytes', '100', '--mqtt', 'mqtt://127.0.0.1:1']);
    expect(tooBig.status).toBe(2);
    expect(tooBig.stderr).toMatch(/too big for MQTT: use --out FILE --no-publish.*qrkiosk revocation apply/);
    const bad = hub([
      'publish-revocation',
      '--file',
      file(batch({ hashType: 'MD5' })),
      '--signing-key',
      join(dir, 'keys/hub-signing.key'),
      '--no-publish',
      '--out',
      join(dir, 'x.qrkr'),
    ]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/DCC revocation list not signed: .*hashType/);
  });

  it('each list gets a higher version than the last, even two in one second; a lower --version is refused', () => {
    expect(hub(['keygen', '--out', join(dir, 'keys2')]).status).toBe(0);
    const keys = new KeyRing();
    keys.add(loadPublicKey(readFileSync(join(dir, 'keys2/hub-signing.pub'))));
    const state = join(dir, 'state');
    const make = (out: string, extra: string[] = []) =>
      hub([
        'publish-revocation',
        '--file',
        file(batch()),
        '--signing-key',
        join(dir, 'keys2/hub-signing.key'),
        '--state-dir',
        state,
        '--no-publish',
        '--out',
        join(dir, out),
        ...extra,
      ]);
    expect(make('a.qrkr').status).toBe(0);
    expect(make('b.qrkr').status).toBe(0);
    const version = (f: string) => openRevocationList(readFileSync(join(dir, f)), keys).header.version;
    expect(version('b.qrkr')).toBeGreaterThan(version('a.qrkr'));
    const lower = make('c.qrkr', ['--version', String(version('b.qrkr'))]);
    expect(lower.status).toBe(2);
    expect(lower.stderr).toMatch(/is not above the last version published/);
  });
});
