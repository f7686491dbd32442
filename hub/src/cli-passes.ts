import { readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  FactsCsvError,
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
import type { PassRow } from './storage/repository.js';
import { HubStore } from './store.js';
import {
  issuePass,
  issuePassesFromCsv,
  type PassDeps,
  passCards,
  publishPassList,
  revokePass,
} from './use-cases/passes.js';

/**
 * `qrkiosk-hub pass …` (issue #20): the same use case as the hub's pages (use-cases/passes.ts).
 * Output for the operator: Vietnamese first, then English; --json for scripts.
 */
export const PASS_USAGE = [
  'qrkiosk-hub pass issue (--id-hash HEX | --id-type cccd|phone|… --id NUMBER) --name "FULL NAME" --scope site:ID|ward:ID|province:ID [--days N] [--print FILE.html] [--layout a6|a4] [--json]',
  'qrkiosk-hub pass issue-csv --csv FILE --scope KIND:ID [--days N] [--print FILE.html] [--layout a4|a6] [--json]   (columns id_type,id,name; any bad row: nothing issued)',
  'qrkiosk-hub pass revoke --pass-id ID --reason TEXT [--json]   (then publish-revocation sends it)',
  'qrkiosk-hub pass list [--scope KIND:ID] [--all] [--json]',
  'qrkiosk-hub pass print (--pass-id ID [--pass-id ID…] | --scope KIND:ID) --out FILE.html [--layout a6|a4]',
  'qrkiosk-hub pass publish [--state-dir DIR] [MQTT]   (the signed pass list, retained on fleet/passes)',
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
      'state-dir': { type: 'string' },
      mqtt: { type: 'string', default: settings.mqtt.url },
      username: { type: 'string', ...(settings.mqtt.username ? { default: settings.mqtt.username } : {}) },
      'password-file': {
        type: 'string',
        ...(settings.mqtt.passwordFile ? { default: settings.mqtt.passwordFile } : {}),
      },
    },
  });

type Values = ReturnType<typeof flags>['values'];

async function writeCards(deps: PassDeps, rows: PassRow[], file: string, layout: PassLayout): Promise<void> {
  writeFileSync(file, await passCardsPage(await passCards(deps, rows), layout));
  out(`Trang in ${rows.length} thẻ / print page of ${rows.length} cards: ${file} (${layout.toUpperCase()})`);
}

async function run(sub: string, v: Values, deps: PassDeps, settings: HubSettings): Promise<number> {
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
      issuedBy: actor,
    });
    if (v.json) out(JSON.stringify(p));
    else
      out(
        `Đã cấp thẻ / pass issued: ${p.passId} ${p.nameMasked} ${scope.kind}:${scope.id} ${p.validFrom}…${p.validUntil}`,
      );
    if (v.print) await writeCards(deps, await rowsOf([p.passId]), v.print, layout);
    return 0;
  }
  if (sub === 'issue-csv') {
    const scope = scopeOf(v.scope);
    if (!scope || !v.csv) return usage();
    const r = await issuePassesFromCsv(deps, readFileSync(v.csv, 'utf8'), {
      scope,
      validDays: days,
      issuedBy: actor,
    });
    if (v.json) out(JSON.stringify(r));
    for (const p of r.problems) process.stderr.write(`${v.csv}:${p.line}: ${p.message}\n`);
    if (r.problems.length)
      return fail(
        `${r.problems.length} dòng lỗi: không cấp thẻ nào. Sửa các dòng trên rồi chạy lại`,
        `${r.problems.length} bad rows: no pass issued. Fix the lines above and run again`,
      );
    if (!v.json)
      out(`Đã cấp ${r.issued.length} thẻ / ${r.issued.length} passes issued (${scope.kind}:${scope.id})`);
    if (v.print) await writeCards(deps, await rowsOf(r.issued.map((p) => p.passId)), v.print, layout);
    return 0;
  }
  if (sub === 'revoke') {
    const passId = v['pass-id']?.[0];
    if (!passId || !v.reason) return usage();
    const r = await revokePass(deps, { passId, reason: v.reason, revokedBy: actor });
    if (v.json) out(JSON.stringify(r));
    else
      out(
        r.revoked
          ? `Đã khóa thẻ ${r.pass.passId}; gửi danh sách thu hồi (publish-revocation) để kiosk biết / pass ${r.pass.passId} revoked; run publish-revocation so kiosks learn it`
          : `Thẻ ${r.pass.passId} đã bị khóa từ trước / pass ${r.pass.passId} was already revoked (${r.pass.revokedAt})`,
      );
    return 0;
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
    if (v.json) out(JSON.stringify(rows.map(({ idHash: _, ...r }) => r)));
    else
      for (const r of rows)
        out(
          `${r.passId}  ${r.nameMasked.padEnd(20)} ${r.scopeKind}:${r.scopeId}  ${r.validFrom}…${r.validUntil}${r.revokedAt ? `  KHÓA/REVOKED ${r.revokedAt}` : ''}`,
        );
    return 0;
  }
  if (sub === 'publish') {
    const stateDir = v['state-dir'] ?? settings.fleet.stateDir ?? join(v['data-dir'], 'fleet');
    const login = brokerLogin(v);
    const r = await publishPassList({
      ...deps,
      stateDir,
      send: (payload) => publishFleet(login, [{ kind: 'passes', payload }]),
    });
    if (v.json) out(JSON.stringify(r));
    else
      out(
        `Đã gửi danh sách thẻ phiên bản ${r.version}: ${r.count} thẻ / pass list ${r.version} published: ${r.count} passes (${r.bytes} bytes)${
          r.uncoded.length
            ? `\n  Địa điểm có phường/xã không phải mã, thẻ theo phường không dùng được ở đó / sites whose ward is not a code (no ward passes there): ${r.uncoded.join(', ')}`
            : ''
        }`,
      );
    return 0;
  }
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
    return await run(
      sub,
      v,
      { store, ...(signing ? { signing } : {}), ...(hashKey ? { hashKey } : {}) },
      settings,
    );
  } catch (err) {
    if (err instanceof PassIssueError) return fail(err.text.vi, err.text.en);
    throw err;
  } finally {
    await store.close();
  }
}
