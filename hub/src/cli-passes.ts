import { readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import {
  FactsCsvError,
  formatVnDateTime,
  formatVnDay,
  hashIdentity,
  maskName,
  PASS_SCOPE_KINDS,
  type PassLayout,
  type PassScope,
  parseFactsCsvIdentity,
  passCardsPage,
} from '@qrkiosk/protocol';
import { brokerLogin, fail, out, readKeyFile } from './cli-files.js';
import { storeFlags } from './cli-settings.js';
import { PassIssueError } from './passes/errors.js';
import { publishFleet, readSigningKey } from './publish.js';
import type { HubSettings } from './settings/index.js';
import { officerPass } from './storage/passes.js';
import type { PassRow } from './storage/repository.js';
import { HubStore } from './store.js';
import {
  issuePass,
  issuePassesFromCsv,
  type PassDeps,
  type PassListPublication,
  passCards,
  publishPassList,
  revokePass,
} from './use-cases/passes.js';

/**
 * `qrkiosk-hub pass …` (issue #20): the same use case as the hub's pages (use-cases/passes.ts).
 * Output for the operator: Vietnamese first, then English; --json for scripts.
 */
export const PASS_USAGE = [
  'qrkiosk-hub pass issue (--id-type cccd|phone|… --id NUMBER | --id-hash HEX) --name "FULL NAME" --scope site:ID|ward:ID|province:ID [--issuer "NAME ON THE CARD"] [--days N] [--print FILE.html] [--layout a6|a4] [--json] [MQTT]   (then publishes the pass list; --issuer required for ward/province; --id-hash is for technicians and is audited)',
  'qrkiosk-hub pass issue-csv --csv FILE --scope KIND:ID [--issuer "NAME"] [--days N] [--print FILE.html] [--layout a4|a6] [--json] [MQTT]   (then publishes the pass list; CSV UTF-8, columns id_type,id,name; any bad row: nothing issued)',
  'qrkiosk-hub pass revoke --pass-id ID --reason TEXT [--json] [MQTT]   (then publishes the pass list, as pass publish)',
  'qrkiosk-hub pass list [--scope KIND:ID] [--all] [--json]',
  'qrkiosk-hub pass print (--pass-id ID [--pass-id ID…] | --scope KIND:ID) --out FILE.html [--layout a6|a4]',
  'qrkiosk-hub pass publish [MQTT]   (the signed pass list, retained on fleet/passes; the hub daemon publishes it after each change and every fleet.freshnessMinutes)',
  '  pass commands take --signing-key KEY (default fleet/releases/enrolment.signingKeyFile) and --key-file IDKEY (default privacy.hashKeyFile)',
];

const usage = (): number => {
  process.stderr.write(`${PASS_USAGE.join('\n')}\n`);
  return 2;
};

function scopeOf(text: string | undefined): PassScope | null {
  const m = /^([a-z]+):(.+)$/.exec(text ?? '');
  if (!m || !PASS_SCOPE_KINDS.includes(m[1] as PassScope['kind'])) return null;
  return { kind: m[1] as PassScope['kind'], id: m[2] as string };
}

const flags = (argv: string[], settings: HubSettings) =>
  parseArgs({
    args: argv,
    options: {
      ...storeFlags(settings),
      'signing-key': {
        type: 'string',
        ...((settings.fleet.signingKeyFile ??
        settings.releases.signingKeyFile ??
        settings.enrolment.signingKeyFile)
          ? {
              default:
                settings.fleet.signingKeyFile ??
                settings.releases.signingKeyFile ??
                (settings.enrolment.signingKeyFile as string),
            }
          : {}),
      },
      'key-file': {
        type: 'string',
        ...(settings.privacy.hashKeyFile ? { default: settings.privacy.hashKeyFile } : {}),
      },
      'id-hash': { type: 'string' },
      'id-type': { type: 'string' },
      id: { type: 'string' },
      name: { type: 'string' },
      issuer: { type: 'string' },
      scope: { type: 'string' },
      days: { type: 'string' },
      csv: { type: 'string' },
      'pass-id': { type: 'string', multiple: true },
      reason: { type: 'string' },
      print: { type: 'string' },
      out: { type: 'string' },
      layout: { type: 'string' },
      all: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      mqtt: { type: 'string', default: settings.mqtt.url },
      username: { type: 'string', ...(settings.mqtt.username ? { default: settings.mqtt.username } : {}) },
      'password-file': {
        type: 'string',
        ...(settings.mqtt.passwordFile ? { default: settings.mqtt.passwordFile } : {}),
      },
    },
  });

type Values = ReturnType<typeof flags>['values'];

/** A Vietnam day `yyyy-MM-dd` as the card and the page print it, dd/MM/yyyy (protocol's one helper). */
const day = formatVnDay;
/** An instant in Vietnam time (UTC+7), dd/MM/yyyy HH:mm. */
const vnTime = (iso: string) => formatVnDateTime(new Date(iso)).slice(0, 16);
/** What the CLI shows of a pass: never a keyed hash, the holder's or a link (storage/passes.ts). */
const shown = officerPass;

/** Signs the pass list under a database-reserved version and sends it retained on fleet/passes. */
function sendList(v: Values, deps: PassDeps): Promise<PassListPublication> {
  const login = brokerLogin(v);
  return publishPassList({
    ...deps,
    send: (payload) => publishFleet(login, [{ kind: 'passes', payload }]),
  });
}

/** The human line for a list sent (the JSON output carries the publication itself). */
function listLine(r: PassListPublication): string {
  return `Đã gửi danh sách thẻ phiên bản ${r.version}: ${r.count} thẻ (${r.revoked} đã khóa) / pass list ${r.version} published: ${r.count} passes (${r.revoked} revoked, ${r.bytes} bytes)${
    r.uncoded.length
      ? `\n  Địa điểm không dùng được thẻ theo phường (mã địa điểm hoặc phường/xã không hợp lệ) / sites where no ward pass works (site or ward id not a code): ${r.uncoded.join(', ')}`
      : ''
  }`;
}

async function publishList(v: Values, deps: PassDeps): Promise<number> {
  const r = await sendList(v, deps);
  out(v.json ? JSON.stringify(r) : listLine(r));
  return 0;
}

/**
 * After an issue, a CSV batch or a revoke from the CLI: the list sent now, as the running hub does after
 * its own (review 2 finding 11), so the card is not pass-unlisted until the daemon's periodic check.
 * Null when it could not be sent: the change is stored, the officer is told on stderr (vi/en) how it
 * reaches kiosks, and the command still succeeds (the pass exists; the daemon sends it later).
 */
async function listAfter(
  v: Values,
  deps: PassDeps,
  what: { vi: string; en: string },
): Promise<PassListPublication | null> {
  try {
    const r = await sendList(v, deps);
    if (!v.json) out(listLine(r));
    return r;
  } catch (err) {
    // A list the hub cannot make (too-many) is a send failure too: the pass is stored, so a failing
    // exit would lead a retrying script to issue it twice (review 3 NIT 10).
    const m = err instanceof PassIssueError ? `${err.text.vi} / ${err.text.en}` : (err as Error).message;
    process.stderr.write(
      `${what.vi} nhưng chưa gửi được danh sách thẻ (${m}); chạy lại "qrkiosk-hub pass publish" hoặc chờ trung tâm gửi định kỳ / ${what.en} but the pass list was not sent (${m}); run "qrkiosk-hub pass publish" again or wait for the hub's periodic one\n`,
    );
    return null;
  }
}

/** The print page; its line on stderr under --json, so stdout stays one JSON document. */
async function writeCards(
  deps: PassDeps,
  rows: PassRow[],
  file: string,
  layout: PassLayout,
  json = false,
): Promise<void> {
  writeFileSync(file, await passCardsPage(await passCards(deps, rows), layout));
  const line = `Trang in ${rows.length} thẻ / print page of ${rows.length} cards: ${file} (${layout.toUpperCase()})`;
  if (json) process.stderr.write(`${line}\n`);
  else out(line);
}

async function run(sub: string, v: Values, deps: PassDeps): Promise<number> {
  const actor = `${userInfo().username}@cli`;
  const store = deps.store;
  const layout = (v.layout ?? (sub === 'issue-csv' ? 'a4' : 'a6')) as PassLayout;
  if (layout !== 'a4' && layout !== 'a6') return usage();
  const days = v.days === undefined ? undefined : Number(v.days);
  const rowsOf = async (ids: string[]) =>
    (await Promise.all(ids.map((id) => store.repo.passes.get(id)))).filter((r): r is PassRow => !!r);
  if (sub === 'issue') {
    const scope = scopeOf(v.scope);
    if (!scope || !v.name) return usage();
    const hashGiven = v['id-hash'] !== undefined;
    let idHash = v['id-hash']?.toLowerCase();
    if (!idHash) {
      if (!deps.hashKey)
        return fail('Cần --key-file (privacy.hashKeyFile)', 'needs --key-file (privacy.hashKeyFile)');
      // The facts CSV's reading of a number (upper case, no spaces, +84 → 0): the hash a kiosk computes.
      let who: ReturnType<typeof parseFactsCsvIdentity>;
      try {
        who = parseFactsCsvIdentity([v['id-type'] ?? '', v.id ?? ''], { id_type: 0, id: 1 });
      } catch (err) {
        if (err instanceof FactsCsvError) return fail('Số giấy tờ không hợp lệ', err.message);
        throw err;
      }
      idHash = hashIdentity(deps.hashKey, who.type, who.id).toString('hex');
    }
    const p = await issuePass(deps, {
      idHash,
      nameMasked: maskName(v.name),
      scope,
      validDays: days,
      ...(v.issuer ? { issuer: v.issuer } : {}),
      issuedBy: actor,
      ...(hashGiven ? { hashGiven } : {}),
    });
    if (!v.json)
      out(
        `Đã cấp thẻ / pass issued: ${p.passId} ${p.nameMasked} ${scope.kind}:${scope.id} ${day(p.validFrom)}–${day(p.validUntil)} (${p.issuer})`,
      );
    const list = await listAfter(v, deps, { vi: 'Đã cấp thẻ', en: 'pass issued' });
    // One JSON document: the pass, and the list it was sent in (null: not sent).
    if (v.json) out(JSON.stringify({ ...p, list }));
    if (v.print) await writeCards(deps, await rowsOf([p.passId]), v.print, layout, v.json);
    // 0 even when the list was not sent: the pass exists, and a script retrying would issue a second.
    return 0;
  }
  if (sub === 'issue-csv') {
    const scope = scopeOf(v.scope);
    if (!scope || !v.csv) return usage();
    const r = await issuePassesFromCsv(deps, readFileSync(v.csv, 'utf8'), {
      scope,
      validDays: days,
      ...(v.issuer ? { issuer: v.issuer } : {}),
      issuedBy: actor,
    });
    if (r.problems.length) {
      if (v.json) out(JSON.stringify({ ...r, list: null }));
      for (const p of r.problems) process.stderr.write(`${v.csv}:${p.line}: ${p.message}\n`);
      return fail(
        `${r.problems.length} dòng lỗi: không cấp thẻ nào. Sửa các dòng trên rồi chạy lại`,
        `${r.problems.length} bad rows: no pass issued. Fix the lines above and run again`,
      );
    }
    if (!v.json)
      out(`Đã cấp ${r.issued.length} thẻ / ${r.issued.length} passes issued (${scope.kind}:${scope.id})`);
    const list = await listAfter(v, deps, { vi: `Đã cấp ${r.issued.length} thẻ`, en: 'passes issued' });
    if (v.json) out(JSON.stringify({ ...r, list }));
    if (v.print) await writeCards(deps, await rowsOf(r.issued.map((p) => p.passId)), v.print, layout, v.json);
    return 0;
  }
  if (sub === 'revoke') {
    const passId = v['pass-id']?.[0];
    if (!passId || !v.reason) return usage();
    const r = await revokePass(deps, { passId, reason: v.reason, revokedBy: actor });
    if (!v.json)
      out(
        r.revoked
          ? `Đã khóa thẻ / pass revoked: ${r.pass.passId}`
          : `Thẻ ${r.pass.passId} đã bị khóa từ trước / pass ${r.pass.passId} was already revoked (${vnTime(r.pass.revokedAt as string)})`,
      );
    // The revocation reaches kiosks only in a pass list: sent now, as `pass publish` does.
    const list = r.revoked
      ? await listAfter(v, deps, { vi: 'Đã khóa trong cơ sở dữ liệu', en: 'revoked in the database' })
      : null;
    // One JSON document (review 2 finding 10): the revoke, the pass without its hash, the list sent.
    if (v.json) out(JSON.stringify({ revoked: r.revoked, pass: shown(r.pass), list }));
    // 2, as before: a revoke that has not reached kiosks is not done (the card still opens doors).
    return !r.revoked || list ? 0 : 2;
  }
  if (sub === 'list' || sub === 'print') {
    const scope = v.scope ? scopeOf(v.scope) : undefined;
    if (scope === null) return usage();
    const rows = v['pass-id']?.length
      ? await rowsOf(v['pass-id'])
      : await store.repo.passes.list({
          ...(scope ? { scopeKind: scope.kind, scopeId: scope.id } : {}),
          revoked: v.all,
        });
    if (sub === 'print') {
      if (!v.out) return usage();
      await writeCards(
        deps,
        rows.filter((r) => !r.revokedAt),
        v.out,
        layout,
      );
      return 0;
    }
    if (v.json) out(JSON.stringify(rows.map(shown)));
    else
      for (const r of rows)
        out(
          `${r.passId}  ${r.nameMasked.padEnd(20)} ${r.scopeKind}:${r.scopeId}  ${day(r.validFrom)}–${day(r.validUntil)}${r.revokedAt ? `  KHÓA/REVOKED ${vnTime(r.revokedAt)}` : ''}`,
        );
    return 0;
  }
  if (sub === 'publish') return publishList(v, deps);
  return usage();
}

export async function passCommand(argv: string[], settings: HubSettings): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub) return usage();
  const { values: v } = flags(rest, settings);
  const signing = v['signing-key'] ? readSigningKey(v['signing-key']) : undefined;
  const hashKey = v['key-file'] ? readKeyFile(v['key-file']) : undefined;
  const store = await HubStore.open(v.database || undefined, v['data-dir']);
  try {
    return await run(sub, v, {
      store,
      ...(signing ? { signing } : {}),
      ...(hashKey ? { hashKey } : {}),
      province: settings.passes.province ?? null,
      validDays: settings.passes.validDays,
    });
  } catch (err) {
    if (err instanceof PassIssueError) return fail(err.text.vi, err.text.en);
    throw err;
  } finally {
    await store.close();
  }
}
