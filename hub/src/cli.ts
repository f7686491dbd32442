#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { badDayMessage, parseDay, vnYesterday } from '@qrkiosk/protocol';
import { pino } from 'pino';
import { BROKER_USAGE, brokerCommand } from './cli-broker.js';
import { DEAD_LETTERS_USAGE, deadLettersCommand } from './cli-dead-letters.js';
import { brokerLogin, fail, out } from './cli-files.js';
import { KIOSK_USAGE, kioskCommand, requestCommand } from './cli-kiosk.js';
import { PASS_USAGE, passCommand } from './cli-passes.js';
import { PUBLISH_COMMANDS, PUBLISH_USAGE, publishCommand } from './cli-publish.js';
import { RELEASE_USAGE, releaseCommand } from './cli-releases.js';
import { runCommand } from './cli-run.js';
import { brokerFlags, settingsOrExit, storeFlags, takeConfigFlag } from './cli-settings.js';
import { TRACE_USAGE, traceCommand } from './cli-trace.js';
import { TRACING_KEY_USAGE, tracingKeyCommand } from './cli-tracing-key.js';
import { userCommand } from './cli-users.js';
import { HubIngest } from './ingest.js';
import { reportCsv } from './report-view.js';
import { NO_FILE } from './settings/index.js';
import { parseSitesCsv } from './sites-csv.js';
import { HubStore } from './store.js';
import { applyRetention } from './use-cases/retention.js';

/**
 * qrkiosk-hub [run]   the hub: MQTT ingest + live page
 * qrkiosk-hub trace   contact tracing for one person (audited)
 * qrkiosk-hub report  the daily report for one day (CSV or text)
 * qrkiosk-hub purge   apply the retention now
 */
const config = takeConfigFlag(process.argv.slice(2));
const [first, ...rest] = config.args;
const command = first && !first.startsWith('-') ? first : 'run';
const args = command === first ? rest : config.args;
/** hub.yaml (if any) and env: the defaults every command's flags override. */
const defaults = command === 'run' ? undefined : settingsOrExit(config.file);

function usage(code: number): never {
  out(
    [
      'qrkiosk-hub [run] [--config hub.yaml] [--mqtt URL] [--data-dir DIR] [--database postgres://…] [--host H] [--port N] [--mqtt-v4] [--username hub --password-file F] [--share GROUP|none] [--lanes N] [--client-id ID] [--retention-days N] [--report-at HH:MM] [--key-file F] [--trust-proxy 127.0.0.1] [--strict-kiosks]',
      ...TRACE_USAGE,
      'qrkiosk-hub report [--day YYYY-MM-DD] [--csv]',
      'qrkiosk-hub purge [--retention-days N]',
      'qrkiosk-hub retire --client-id ID [--mqtt URL --username U --password-file F]   (a hub process taken out of service: store what its sessions hold, end them)',
      'qrkiosk-hub site import --csv FILE               (site,name,district,ward: register sites and their ward/district)',
      'qrkiosk-hub config check [--config hub.yaml]      (every problem of hub.yaml, env and flags, with its line)',
      '  every command takes --config hub.yaml (env QRKIOSK_HUB_CONFIG), and --data-dir DIR or --database URL (env QRKIOSK_HUB_DATABASE); flags override hub.yaml, which overrides defaults',
      'qrkiosk-hub user add --phone 09… --role admin|officer|site-owner|tracer (--sites s-001,district:760,ward:26734 | --all-sites) --password-file F [--email a@b]',
      'qrkiosk-hub user disable|enable|remove --phone 09…   (sessions end at once; audited)',
      'qrkiosk-hub user list [--json]',
      'qrkiosk-hub user reset --phone 09…                 (prints a one-time code, 24 h, for a new password on the login page)',
      ...DEAD_LETTERS_USAGE,
      ...BROKER_USAGE,
      ...KIOSK_USAGE,
      ...PUBLISH_USAGE,
      ...PASS_USAGE,
      ...RELEASE_USAGE,
      ...TRACING_KEY_USAGE,
      '  Trung tâm: nhận check-in, báo cáo ngày, truy vết / hub: ingest, daily report, contact tracing.',
    ].join('\n'),
  );
  process.exit(code);
}

/** The defaults of every command but `run` (which loads them with its own flags). */
const settings = () => defaults ?? settingsOrExit(config.file);
/** A parseArgs default only when there is one. */
const optional = (value: string | undefined) => (value === undefined ? {} : { default: value });

async function main(): Promise<number> {
  if (command === 'run') return runCommand(args, usage);
  if (command === 'tracing-key') return tracingKeyCommand(args);
  if (command === 'config') {
    if (args[0] !== 'check') usage(2);
    out(`${config.file ?? NO_FILE}: OK`);
    return 0;
  }
  if ((PUBLISH_COMMANDS as readonly string[]).includes(command))
    return publishCommand(command, args, settings());
  if (command === 'user') return userCommand(args, settings());
  if (command === 'pass') return passCommand(args, settings());
  if (command === 'release' || command === 'rollout') return releaseCommand(command, args, settings());
  if (command === 'site') return siteCommand(args);
  if (command === 'broker') return brokerCommand(args);
  if (command === 'kiosk') return kioskCommand(args, settings());
  if (command === 'request') return requestCommand(args, settings());
  if (command === 'retire') return retireCommand(args);
  if (command === 'dead-letters') return deadLettersCommand(args, settings());
  if (command === 'trace') return traceCommand(args, settings());
  const { values } = parseArgs({
    args,
    options: {
      ...storeFlags(settings()),
      day: { type: 'string' },
      csv: { type: 'boolean', default: false },
      'retention-days': { type: 'string', default: String(settings().retention.days) },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) usage(0);
  // Every day given is a real calendar day (2021-02-30 is refused, not rolled into March).
  if (values.day !== undefined && !parseDay(values.day)) return refuse(badDayMessage('--day', values.day));
  const days = Number(values['retention-days']);
  if (command === 'purge' && !(Number.isFinite(days) && days >= 0)) usage(2);
  const store = await HubStore.open(values.database || undefined, values['data-dir']);
  const actor = `${userInfo().username}@cli`;
  try {
    if (command === 'report') {
      const day = values.day ?? vnYesterday(new Date());
      const report = await store.dailyReport(day);
      await store.audit(actor, 'report', { day });
      if (values.csv) process.stdout.write(reportCsv(report));
      else {
        out(`Báo cáo ngày / report for ${day.split('-').reverse().join('/')}`);
        for (const s of report.sites)
          out(
            `  ${s.site.padEnd(12)} kiosk ${s.kiosks}  lượt quét/scans ${s.scans}  vào ${s.allowed}  từ chối ${s.refused}  kiểm tra ${s.review}`,
          );
        out(`Địa điểm KHÔNG quét / sites with NO scans: ${report.sitesWithoutScans.join(', ') || '—'}`);
        out(
          `Kiosk mới / new kiosks: ${report.newKiosks.map((k) => `${k.site}/${k.kiosk}`).join(', ') || '—'}`,
        );
      }
      return 0;
    }
    if (command === 'purge') {
      const r = await applyRetention(store, days, { actor, always: true });
      out(
        `Đã xóa / removed ${r.removed} check-ins and ${r.deadLetters} dead letters older than ${days} days`,
      );
      return 0;
    }
    usage(2);
  } finally {
    await store.close();
  }
}

/** A refused argument, in Vietnamese and English, exit code 2. */
const refuse = (m: { vi: string; en: string }): number => fail(m.vi, m.en);

/**
 * `retire --client-id ID`: a hub process taken out of service leaves persistent sessions (one per
 * lane) that the broker keeps sending a share of the check-ins to. This stores what they hold and
 * ends them. Run it once the process is stopped for good, with the same broker and database.
 */
async function retireCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...storeFlags(settings()),
      ...brokerFlags(settings()),
      'client-id': { type: 'string', ...optional(settings().mqtt.clientId) },
    },
  });
  if (!values['client-id']) usage(2);
  const store = await HubStore.open(values.database || undefined, values['data-dir']);
  const ingest = new HubIngest(
    {
      ...brokerLogin(values),
      protocolVersion: values['mqtt-v4'] ? 4 : 5,
      ...(values.share !== 'none' ? { shareGroup: values.share } : {}),
    },
    store,
    pino({ level: 'warn' }),
  );
  try {
    const r = await ingest.retire(values['client-id'], 0);
    await store.audit(`${userInfo().username}@cli`, 'retire', { clientId: values['client-id'], ...r });
    out(
      `Đã đóng / closed ${r.sessions} sessions of ${values['client-id']}; ${r.drained} check-ins stored from them`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

/** `site import --csv FILE`: the site register (site,name,district,ward), header line required. */
async function siteCommand(argv: string[]): Promise<number> {
  const [action, ...rest2] = argv;
  const { values } = parseArgs({
    args: rest2,
    options: {
      ...storeFlags(settings()),
      csv: { type: 'string' },
    },
  });
  if (action !== 'import' || !values.csv) usage(2);
  const parsed = parseSitesCsv(readFileSync(values.csv, 'utf8'));
  for (const p of parsed.problems) process.stderr.write(`${values.csv}:${p.line}: ${p.message}\n`);
  if (parsed.problems.length > 0) {
    process.stderr.write('Không nhập gì / nothing imported: fix the lines above\n');
    return 2;
  }
  const store = await HubStore.open(values.database || undefined, values['data-dir']);
  try {
    await store.registerSites(parsed.sites);
    await store.audit(`${userInfo().username}@cli`, 'sites-register', { count: parsed.sites.length });
    out(`Đã đăng ký / registered ${parsed.sites.length} sites`);
    return 0;
  } finally {
    await store.close();
  }
}

process.exitCode = await main();
