import { join } from 'node:path';
import { DATA_KINDS, type DataKind } from '@qrkiosk/protocol';
import { fail, out } from './cli-files.js';
import { type BrokerLogin, publishFleet, readSigningKey } from './publish.js';
import { brokerRetained } from './retained-versions.js';
import type { RulesSummary } from './rules-text.js';
import type { HubSettings } from './settings/index.js';
import { publishFreshness } from './use-cases/freshness.js';

/**
 * `qrkiosk-hub publish-fresh` (issue #19): the daemon's hourly statement, once, now — after a restore, or on a
 * hub whose daemon does not publish it. The same use case as the timer (use-cases/freshness.ts).
 */
export async function publishFreshCommand(
  values: { 'signing-key'?: string | undefined; 'state-dir'?: string | undefined; 'data-dir': string },
  settings: HubSettings,
  login: BrokerLogin,
): Promise<number> {
  const keyFile =
    values['signing-key'] ??
    settings.fleet.signingKeyFile ??
    settings.releases.signingKeyFile ??
    settings.enrolment.signingKeyFile;
  if (!keyFile)
    return fail(
      'publish-fresh cần --signing-key KEY (hoặc fleet.signingKeyFile trong hub.yaml)',
      'publish-fresh needs --signing-key KEY (or fleet.signingKeyFile in hub.yaml)',
    );
  let signing: ReturnType<typeof readSigningKey>;
  try {
    signing = readSigningKey(keyFile);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return fail(
      `Không đọc được khóa ký ${keyFile} (${why})`,
      `cannot read the signing key ${keyFile} (${why})`,
    );
  }
  const stateDir = values['state-dir'] ?? settings.fleet.stateDir ?? join(values['data-dir'], 'fleet');
  const { statement, problems, recovered } = await publishFreshness({
    stateDir,
    signing,
    publish: (payload) => publishFleet(login, [{ kind: 'fresh', payload }]),
    retained: brokerRetained(login),
  });
  for (const p of problems) process.stderr.write(`${p}\n`);
  if (recovered.length > 0)
    out(
      `Đọc lại phiên bản từ broker (chưa từng ghi ở ${stateDir}) / versions read back from the broker (never recorded in ${stateDir}): ${recovered.join(', ')}`,
    );
  const said = (v: { version: number | string } | null) => (v === null ? '—' : String(v.version));
  out(
    `Đã gửi tuyên bố độ mới / freshness statement published (${statement.issuedAt}): cache ${said(statement.cache)}, rules ${said(statement.rules)}, trust ${said(statement.trust)}, revocation ${said(statement.revocation)}, passes ${said(statement.passes ?? null)}`,
  );
  return problems.length > 0 ? 1 : 0;
}

/** The limits a rules file sets, one line for the operator ("facts 24 h, rules 48 h, trust —, …"). */
export function limitsLine(summary: RulesSummary): string {
  const one = (k: DataKind) => {
    const h = summary.maxAgeHours[k];
    return `${k} ${h === null ? 'không giới hạn/no limit' : `${h} h`}`;
  };
  return DATA_KINDS.map(one).join(', ');
}

/**
 * After a publish-* run went out: the statement again at once, so fleet/fresh never names the previous version
 * for up to an hour (a kiosk that missed the new list must not be told its old one is current).
 */
export async function restateFreshness(
  stateDir: string,
  signing: ReturnType<typeof readSigningKey>,
  login: BrokerLogin,
): Promise<void> {
  const { statement } = await publishFreshness({
    stateDir,
    signing,
    publish: (payload) => publishFleet(login, [{ kind: 'fresh', payload }]),
    retained: brokerRetained(login),
  });
  out(`Đã gửi lại tuyên bố độ mới / freshness statement restated (${statement.issuedAt})`);
}
