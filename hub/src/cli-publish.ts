import { mkdirSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { RevocationListError, signRevocationList, signTrustList, TrustListError } from '@qrkiosk/protocol';
import { brokerLogin, fail, out, readKeyFile } from './cli-files.js';
import { limitsLine, publishFreshCommand, restateFreshness } from './cli-fresh.js';
import { FleetStateError, readFleetState, writeFileAtomic, writeFleetState } from './fleet-state.js';
import {
  BadRowsError,
  type BrokerLogin,
  certificateFilesIn,
  certificatesFromFiles,
  type FleetMessage,
  generateSigningKey,
  MQTT_MAX_PAYLOAD,
  prepareCachePublication,
  publishFleet,
  readSigningKey,
  signedRulesEnvelope,
} from './publish.js';
import { recordPublished, versionFile } from './published-versions.js';
import { batchesFromFiles, batchFilesIn } from './revocation-batches.js';
import { type RulesSummary, RulesTextError, readRulesText } from './rules-text.js';
import type { HubSettings } from './settings/index.js';
import { HubStore } from './store.js';

/**
 * The fleet-update commands of `qrkiosk-hub` (kept apart from cli.ts): keygen, publish-cache,
 * publish-rules, publish-trust, publish-revocation. Output for the operator: Vietnamese first, then English.
 */
export const PUBLISH_COMMANDS = [
  'keygen',
  'publish-cache',
  'publish-rules',
  'publish-trust',
  'publish-revocation',
  'publish-fresh',
] as const;

export const PUBLISH_USAGE = [
  'qrkiosk-hub keygen --out DIR                     (Ed25519 signing key for fleet updates; keep it off the repository)',
  'qrkiosk-hub publish-cache --csv FILE --key-file IDKEY --signing-key KEY [--state-dir DIR] [--seq N] [--snapshot] [--out FILE] [--no-publish] [--mqtt-max-bytes N] [--allow-bad-rows] [--database URL|FILE] [MQTT]',
  "  (a `person` column links each person's documents for tracing, in the hub database: --database, or <--data-dir>/hub.db)",
  'qrkiosk-hub publish-rules --rules FILE --signing-key KEY [MQTT]',
  'qrkiosk-hub publish-trust (--dir DIR | --file F [--file F…]) --signing-key KEY [--version N] [--out FILE] [--no-publish] [MQTT]',
  'qrkiosk-hub publish-revocation (--dir DIR | --file F [--file F…]) --signing-key KEY [--version N] [--out FILE] [--no-publish] [--mqtt-max-bytes N] [MQTT]   (EU DCC revocation batches, JSON)',
  'qrkiosk-hub publish-fresh [--signing-key KEY] [--state-dir DIR] [MQTT]   (the signed freshness statement, fleet/fresh; the daemon publishes it hourly)',
  '  MQTT = [--mqtt URL --username U --password-file F]; --state-dir defaults to <--data-dir>/fleet',
];

const usage = (): number => {
  process.stderr.write(`${PUBLISH_USAGE.join('\n')}\n`);
  return 2;
};
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

export async function publishCommand(cmd: string, argv: string[], settings: HubSettings): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      csv: { type: 'string' },
      rules: { type: 'string' },
      dir: { type: 'string' },
      file: { type: 'string', multiple: true },
      'key-file': { type: 'string' },
      'signing-key': { type: 'string' },
      seq: { type: 'string' },
      version: { type: 'string' },
      snapshot: { type: 'boolean', default: false },
      'allow-bad-rows': { type: 'boolean', default: false },
      'no-publish': { type: 'boolean', default: false },
      'state-dir': { type: 'string' },
      'data-dir': { type: 'string', default: settings.dataDir },
      database: { type: 'string', default: settings.database },
      'mqtt-max-bytes': { type: 'string', default: String(MQTT_MAX_PAYLOAD) },
      mqtt: { type: 'string', default: settings.mqtt.url },
      username: { type: 'string' },
      'password-file': { type: 'string' },
    },
  });
  if (cmd === 'keygen') {
    if (!values.out) return usage();
    try {
      const k = generateSigningKey(values.out);
      out(
        `Khóa ký / signing key: ${k.privateFile} (chmod 600, keep it secret)\nKhóa công khai cho kiosk / public key for kiosks (updates.publicKeyFiles): ${k.publicFile}\nkey id ${k.keyId}`,
      );
      return 0;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST')
        return fail(
          `Thư mục ${values.out} đã có khóa ký; không ghi đè (khi đổi khóa, tạo khóa mới ở thư mục khác)`,
          `${values.out} already holds a signing key; not overwritten (to rotate, make the new key in another folder)`,
        );
      throw err;
    }
  }
  // What publish-* record (published-versions.ts) and the freshness statement reads: hub.yaml fleet.stateDir.
  const stateDir = values['state-dir'] ?? settings.fleet.stateDir ?? join(values['data-dir'], 'fleet');
  if (cmd === 'publish-fresh') return publishFreshCommand(values, settings, brokerLogin(values));
  if (!values['signing-key']) return usage();
  const signing = readSigningKey(values['signing-key']);
  const login: BrokerLogin = brokerLogin(values);
  const publish = !values['no-publish'];
  if (!publish && !values.out)
    return fail('--no-publish cần --out FILE', '--no-publish needs --out FILE (otherwise nothing is done)');

  if (cmd === 'publish-rules') {
    if (!values.rules) return usage();
    const text = readFileSync(values.rules, 'utf8');
    // Signed unchanged (limits included); read first so a bad limit is refused here, not by every kiosk.
    let summary: RulesSummary;
    try {
      summary = readRulesText(text, values.rules);
    } catch (err) {
      if (err instanceof RulesTextError) return fail('Không ký quy tắc', `rules not signed: ${err.message}`);
      throw err;
    }
    const envelope = signedRulesEnvelope(text, signing);
    if (values.out) writeFileAtomic(values.out, [Buffer.from(envelope, 'utf8')]);
    // Recorded only once it went out: the statement names what kiosks can hold. A file written with
    // --no-publish is not on the broker; recorded, the statement would name it while kiosks keep the last.
    if (publish) {
      await publishFleet(login, [{ kind: 'rules', payload: envelope }]);
      recordPublished(stateDir, 'rules', summary.version);
      await restateFreshness(stateDir, signing, login);
    }
    out(
      publish
        ? `Đã gửi quy tắc / rules published (${values.rules}, version ${summary.version})`
        : `Đã ghi quy tắc có chữ ký / signed rules written to ${values.out} (version ${summary.version})`,
    );
    out(`Giới hạn tuổi dữ liệu / data age limits: ${limitsLine(summary)}`);
    return 0;
  }

  if (cmd === 'publish-trust') {
    const { files, version } = listInput(values, certificateFilesIn);
    if (files.length === 0) return usage();
    let envelope: string;
    let certificates: ReturnType<typeof certificatesFromFiles>;
    try {
      certificates = certificatesFromFiles(files);
      envelope = signTrustList(
        certificates.map((c) => c.der),
        version,
        signing,
      );
    } catch (err) {
      if (err instanceof TrustListError)
        return fail('Không ký danh sách tin cậy DCC', `DCC trust list not signed: ${err.message}`);
      throw err;
    }
    const now = Date.now();
    for (const c of certificates) {
      const expired = Date.parse(c.validTo) < now;
      out(
        `  ${c.subject}  (${c.source}) hết hạn / expires ${c.validTo}${expired ? '  ⚠ ĐÃ HẾT HẠN / EXPIRED' : ''}`,
      );
    }
    if (values.out) writeFileAtomic(values.out, [Buffer.from(envelope, 'utf8')]);
    // As for rules: recorded only once it went out (never for --no-publish).
    if (publish) {
      await publishFleet(login, [{ kind: 'trust', payload: envelope }]);
      recordPublished(stateDir, 'trust', version);
      await restateFreshness(stateDir, signing, login);
    }
    out(
      `${publish ? 'Đã gửi' : 'Đã ghi'} danh sách tin cậy DCC phiên bản ${version}: ${certificates.length} chứng thư / DCC trust list ${version} ${publish ? 'published' : `written to ${values.out}`}: ${certificates.length} certificates`,
    );
    return 0;
  }

  if (cmd === 'publish-revocation')
    return publishRevocation(values, signing, login, publish, versionFile(stateDir, 'revocation'));

  if (cmd !== 'publish-cache' || !values.csv || !values['key-file']) return usage();
  const hashKey = readKeyFile(values['key-file']);
  let previous: ReturnType<typeof readFleetState>;
  try {
    previous = readFleetState(stateDir);
  } catch (err) {
    if (err instanceof FleetStateError) return fail('Không đọc được trạng thái', err.message);
    throw err;
  }
  const seqArg = values.seq === undefined ? undefined : Number(values.seq);
  if (seqArg !== undefined && !(Number.isSafeInteger(seqArg) && seqArg >= 1))
    return fail(`--seq phải là số nguyên ≥ 1`, `--seq must be an integer ≥ 1 (got ${values.seq})`);
  let publication: Awaited<ReturnType<typeof prepareCachePublication>>;
  try {
    publication = await prepareCachePublication({
      csv: values.csv,
      hashKey,
      signing,
      previous,
      snapshotOnly: values.snapshot,
      allowBadRows: values['allow-bad-rows'],
      ...(seqArg !== undefined ? { seq: seqArg } : {}),
    });
  } catch (err) {
    if (err instanceof BadRowsError) {
      for (const p of err.problems) process.stderr.write(`${values.csv}:${p.line}: ${p.message}\n`);
      return fail(
        `${err.problems.length} dòng lỗi: KHÔNG ghi, KHÔNG gửi gì. Sửa các dòng trên (hoặc --allow-bad-rows: người ở dòng lỗi giữ dữ liệu cũ)`,
        `${err.problems.length} bad rows: nothing written or published. Fix the lines above (or --allow-bad-rows: people on bad rows keep their previous facts)`,
      );
    }
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  const { seq, snapshot, delta, problems } = publication;
  for (const p of problems) process.stderr.write(`${values.csv}:${p.line}: ${p.message}\n`);
  if (publication.carried > 0)
    out(
      `Giữ dữ liệu cũ cho ${publication.carried} người ở dòng lỗi / kept the previous facts of ${publication.carried} people on bad rows`,
    );
  // A snapshot above the MQTT limit (or the broker's message_size_limit) cannot go over the air:
  // then it must go out as a file, and only the delta is published.
  const snapshotFits = snapshot.length <= Number(values['mqtt-max-bytes']);
  if (publish && !snapshotFits && !values.out)
    return fail(
      `Bản đầy đủ ${mb(snapshot.length)} quá lớn để gửi qua MQTT: dùng --out FILE và cài bằng "qrkiosk cache apply FILE"`,
      `snapshot of ${mb(snapshot.length)} is too big for MQTT: use --out FILE and install it with "qrkiosk cache apply FILE"`,
    );
  // A delta above the broker's packet limit would get the publisher disconnected half way.
  if (publish && delta && delta.update.length > Number(values['mqtt-max-bytes']))
    return fail(
      `Bản thay đổi ${mb(delta.update.length)} quá lớn để gửi qua MQTT: dùng --snapshot --out FILE --no-publish và cài bằng "qrkiosk cache apply FILE"`,
      `delta of ${mb(delta.update.length)} is too big for MQTT: use --snapshot --out FILE --no-publish and install it with "qrkiosk cache apply FILE"`,
    );
  // Before anything goes out: a database that cannot be reached stops the run with nothing sent, and a
  // run again adds the same links once (they are keyed by the pair).
  // A clean file with a `person` column replaces the imported links even when it has none (every
  // person key removed is every link removed); a file without the column leaves them as they are.
  if (publication.links.length > 0 || (publication.personColumn && problems.length === 0))
    await recordImportLinks(publication.links, problems.length === 0, values);
  if (values.out) writeFileAtomic(values.out, [snapshot]);
  if (publish) {
    const messages: FleetMessage[] = [];
    // The delta first: a kiosk that is current applies it and then skips the snapshot by its header.
    // Without a delta, clear the retained one, so no delta of an older lineage lingers beside the snapshot.
    messages.push({ kind: 'cache-delta', payload: delta ? delta.update : Buffer.alloc(0) });
    if (snapshotFits) messages.push({ kind: 'cache', payload: snapshot });
    await publishFleet(login, messages);
  }
  // Remembered only once sent: if this run dies before here, the next delta starts from the previous
  // state, and kiosks that did get this one fall back on the snapshot.
  writeFleetState(stateDir, publication.state);
  if (publish) await restateFreshness(stateDir, signing, login);
  const sent = publish ? 'Đã gửi' : 'Đã ghi';
  const sentEn = publish ? 'published' : 'written';
  if (delta)
    out(
      `${sent} bản thay đổi ${delta.baseSeq}→${seq}: ${delta.puts} người thêm/đổi, ${delta.deletes} người bỏ / delta ${delta.baseSeq}→${seq} ${sentEn}: ${delta.puts} added or changed, ${delta.deletes} removed (${mb(delta.update.length)})`,
    );
  if (publish && !snapshotFits)
    out(
      `Bản đầy đủ ${seq} KHÔNG gửi qua MQTT (${mb(snapshot.length)}); kiosk bị lỡ cần "qrkiosk cache apply ${values.out}" / snapshot ${seq} NOT published over MQTT (${mb(snapshot.length)}); a kiosk that fell behind needs "qrkiosk cache apply ${values.out}"`,
    );
  out(
    `${publish && snapshotFits ? 'Đã gửi' : 'Đã tạo'} bản đầy đủ ${seq}: ${publication.identities} người, ${problems.length} dòng lỗi (giữ dữ liệu cũ) / snapshot ${seq} ${publish && snapshotFits ? 'published' : 'made'}: ${publication.identities} identities, ${mb(snapshot.length)}, ${problems.length} bad rows (previous facts kept)${values.out ? ` → ${values.out}` : ''}`,
  );
  return problems.length > 0 ? 1 : 0;
}

/**
 * The facts import's person links (document hash → person node, hashPersonKey) into the hub database,
 * opened as the other commands open it (--database, else <--data-dir>/hub.db), and audited with their
 * counts. A clean file is the whole register: its links replace the imported ones (a corrected person
 * key unlinks the wrong document). A file with bad rows (--allow-bad-rows) only adds: its bad rows'
 * people keep their links, as they keep their facts. Only a file with a `person` column opens the
 * database: a plain publication needs none.
 */
async function recordImportLinks(
  links: ReadonlyArray<readonly [string, string]>,
  clean: boolean,
  values: { database?: string | undefined; 'data-dir': string },
): Promise<void> {
  const store = await HubStore.open(values.database || undefined, values['data-dir']);
  try {
    const at = new Date();
    const { added, removed } = clean
      ? await store.repo.links.replaceImported(links, at)
      : { added: await store.repo.links.add(links, 'import', at), removed: 0 };
    await store.audit(`${userInfo().username}@cli`, 'links-import', { rows: links.length, added, removed });
    out(
      `Đã liên kết giấy tờ theo người: ${links.length} dòng có mã người, ${added} liên kết mới, bỏ ${removed} / person links: ${links.length} rows with a person key, ${added} new links, ${removed} removed`,
    );
  } finally {
    await store.close();
  }
}

/**
 * The files of a signed list (trust or revocation): those of `--dir` (found by `inDir`) and every
 * `--file`; its version from `--version`, or the current Unix time (newer lists, higher versions).
 */
function listInput(
  values: { dir?: string | undefined; file?: string[] | undefined; version?: string | undefined },
  inDir: (dir: string) => string[],
): { files: string[]; version: number } {
  return {
    files: [...(values.dir ? inDir(values.dir) : []), ...(values.file ?? [])],
    version: values.version ? Number(values.version) : Math.floor(Date.now() / 1000),
  };
}

/**
 * `publish-revocation`: EU DCC revocation batches (revocation-batches.ts) → one signed QRKR1 list,
 * retained on `fleet/revocation`. A list above the MQTT limit goes as a file (`qrkiosk revocation
 * apply FILE` on the kiosk).
 */
async function publishRevocation(
  values: { dir?: string; file?: string[]; version?: string; out?: string; 'mqtt-max-bytes': string },
  signing: ReturnType<typeof readSigningKey>,
  login: BrokerLogin,
  publish: boolean,
  versionFile: string,
): Promise<number> {
  const { files, version: asked } = listInput(values, batchFilesIn);
  if (files.length === 0) return usage();
  // Versions only go up: kiosks install a list only when its version is newer, and refuse one with the
  // installed version but other content. The last version is kept beside the cache state, so two lists
  // made in one second (the default is Unix seconds) still differ.
  let last = 0;
  try {
    last = Number(readFileSync(versionFile, 'utf8').trim()) || 0;
  } catch {
    // first list from this hub
  }
  const version = values.version ? asked : Math.max(asked, last + 1);
  if (values.version && version <= last)
    return fail(
      `--version ${version} không lớn hơn phiên bản đã phát hành ${last}`,
      `--version ${version} is not above the last version published, ${last}`,
    );
  let list: Buffer;
  let batches: ReturnType<typeof batchesFromFiles>;
  try {
    batches = batchesFromFiles(files);
    list = signRevocationList(batches.sections, version, signing);
  } catch (err) {
    if (err instanceof RevocationListError)
      return fail('Không ký danh sách thu hồi DCC', `DCC revocation list not signed: ${err.message}`);
    throw err;
  }
  const entries = batches.sections.reduce((n, s) => n + s.hashes.length, 0);
  const fits = list.length <= Number(values['mqtt-max-bytes']);
  if (publish && !fits && !values.out)
    return fail(
      `Danh sách thu hồi ${mb(list.length)} quá lớn để gửi qua MQTT: dùng --out FILE --no-publish và cài bằng "qrkiosk revocation apply FILE"`,
      `revocation list of ${mb(list.length)} is too big for MQTT: use --out FILE --no-publish and install it with "qrkiosk revocation apply FILE"`,
    );
  if (values.out) writeFileAtomic(values.out, [list]);
  if (publish && fits) await publishFleet(login, [{ kind: 'revocation', payload: list }]);
  if (publish && !fits)
    out(
      `Danh sách ${mb(list.length)} KHÔNG gửi qua MQTT; cài trên kiosk bằng "qrkiosk revocation apply ${values.out}" / NOT published over MQTT (${mb(list.length)}); install it with "qrkiosk revocation apply ${values.out}"`,
    );
  const sent = publish && fits;
  try {
    mkdirSync(dirname(versionFile), { recursive: true });
    writeFileAtomic(versionFile, [Buffer.from(`${version}\n`)]);
  } catch (err) {
    process.stderr.write(
      `Không lưu được phiên bản vào ${versionFile} / could not keep the version in ${versionFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (use --data-dir or --state-dir)\n`,
    );
  }
  out(
    `${sent ? 'Đã gửi' : 'Đã ghi'} danh sách thu hồi DCC phiên bản ${version}: ${entries} mã băm, ${batches.sections.length} lô, bỏ ${batches.expired} lô hết hạn / DCC revocation list ${version} ${sent ? 'published' : `written to ${values.out}`}: ${entries} hashes, ${batches.sections.length} batches, ${batches.expired} expired batches left out (${mb(list.length)})`,
  );
  if (sent) await restateFreshness(dirname(versionFile), signing, login);
  return 0;
}
