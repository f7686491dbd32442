#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import {
  badDayMessage,
  formatVnDateTime,
  hashIdentity,
  type IdType,
  parseDay,
  vnDay,
  vnDayStart,
} from '@qrkiosk/protocol';
import { pino } from 'pino';
import { DEAD_LETTERS_USAGE, deadLettersCommand } from './cli-dead-letters.js';
import { brokerLogin, readKeyFile } from './cli-files.js';
import { KIOSK_USAGE, kioskCommand, requestCommand } from './cli-kiosk.js';
import { PUBLISH_COMMANDS, PUBLISH_USAGE, publishCommand } from './cli-publish.js';
import { userCommand } from './cli-users.js';
import { Hub } from './hub.js';
import { HubIngest } from './ingest.js';
import { reportCsv, traceCsv } from './report-view.js';
import { parseSitesCsv } from './sites-csv.js';
import { HubStore } from './store.js';

/**
 * qrkiosk-hub [run]   the hub: MQTT ingest + live page
 * qrkiosk-hub trace   contact tracing for one person (audited)
 * qrkiosk-hub report  the daily report for one day (CSV or text)
 * qrkiosk-hub purge   apply the retention now
 */
const [first, ...rest] = process.argv.slice(2);
const command = first && !first.startsWith('-') ? first : 'run';
const args = command === first ? rest : process.argv.slice(2);
const dataDirDefault = process.env.QRKIOSK_HUB_DATA_DIR ?? '/var/lib/qrkiosk-hub';
/** A postgres:// URL selects PostgreSQL; empty means SQLite in the data directory. */
const databaseDefault = process.env.QRKIOSK_HUB_DATABASE ?? '';
const out = (s: string) => process.stdout.write(`${s}\n`);

function usage(code: number): never {
  out(
    [
      'qrkiosk-hub [run] [--mqtt URL] [--data-dir DIR] [--database postgres://…] [--host H] [--port N] [--mqtt-v4] [--username hub --password-file F] [--share GROUP|none] [--lanes N] [--client-id ID] [--retention-days N] [--report-at HH:MM] [--key-file F] [--trust-proxy 127.0.0.1] [--strict-kiosks]',
      'qrkiosk-hub trace --key-file FILE --type cccd|cmnd|passport|qid|bhyt|bhxh|phone --id NUMBER [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--window MIN] [--csv]',
      'qrkiosk-hub report [--day YYYY-MM-DD] [--csv]',
      'qrkiosk-hub purge [--retention-days N]',
      'qrkiosk-hub retire --client-id ID [--mqtt URL --username U --password-file F]   (a hub process taken out of service: store what its sessions hold, end them)',
      'qrkiosk-hub site import --csv FILE               (site,name,district,ward: register sites and their ward/district)',
      '  every command takes --data-dir DIR or --database URL (env QRKIOSK_HUB_DATABASE)',
      'qrkiosk-hub user add --phone 09… --role admin|officer|site-owner|tracer (--sites s-001,district:760,ward:26734 | --all-sites) --password-file F',
      'qrkiosk-hub user disable|enable|remove --phone 09…   (sessions end at once; audited)',
      'qrkiosk-hub user list [--json]',
      ...DEAD_LETTERS_USAGE,
      ...KIOSK_USAGE,
      ...PUBLISH_USAGE,
      '  Trung tâm: nhận check-in, báo cáo ngày, truy vết / hub: ingest, daily report, contact tracing.',
    ].join('\n'),
  );
  process.exit(code);
}

async function main(): Promise<number> {
  if (command === 'run') {
    const { values } = parseArgs({
      args,
      options: {
        mqtt: { type: 'string', default: process.env.QRKIOSK_HUB_MQTT_URL ?? 'mqtt://127.0.0.1:1883' },
        'data-dir': { type: 'string', default: dataDirDefault },
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: process.env.QRKIOSK_HUB_PORT ?? '8090' },
        'mqtt-v4': { type: 'boolean', default: false },
        // The broker login (hardware/mosquitto: user `hub`); the password from a file, never argv.
        username: { type: 'string', default: process.env.QRKIOSK_HUB_MQTT_USERNAME ?? '' },
        'password-file': { type: 'string', default: process.env.QRKIOSK_HUB_MQTT_PASSWORD_FILE ?? '' },
        database: { type: 'string', default: databaseDefault },
        // A shared subscription by default, so a second hub process can join without a change here.
        share: { type: 'string', default: 'hub' },
        // 32 connections: measured best on 2 cores (docs/benchmarks.md); more lanes, bigger batches.
        lanes: { type: 'string', default: '32' },
        'client-id': { type: 'string' },
        'retention-days': { type: 'string', default: '21' },
        'key-file': { type: 'string' },
        'report-at': { type: 'string', default: '06:00' },
        'trust-proxy': { type: 'string' },
        // Refuse kiosks missing from the register instead of binding them on first use.
        'strict-kiosks': { type: 'boolean', default: process.env.QRKIOSK_HUB_STRICT_KIOSKS === '1' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) usage(0);
    if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(values['report-at'])) usage(2);
    const share = values.share === 'none' ? undefined : values.share;
    const lanes = share ? Number(values.lanes) : 1;
    if (!Number.isInteger(lanes) || lanes < 1 || lanes > 64) usage(2);
    const hashKey = values['key-file'] ? readKeyFile(values['key-file']) : undefined;
    const hub = new Hub({
      ...(hashKey ? { hashKey } : {}),
      mqtt: {
        ...brokerLogin(values),
        ...(values['client-id'] ? { clientId: values['client-id'] } : {}),
        protocolVersion: values['mqtt-v4'] ? 4 : 5,
        ...(share ? { shareGroup: share } : {}),
        lanes,
        strictKiosks: values['strict-kiosks'],
      },
      dataDir: values['data-dir'],
      ...(values.database ? { database: values.database } : {}),
      http: { host: values.host, port: Number(values.port) },
      retentionDays: Number(values['retention-days']),
      reportAt: values['report-at'],
      ...(values['trust-proxy'] ? { trustProxy: values['trust-proxy'] } : {}),
    });
    try {
      await hub.start();
    } catch (err) {
      process.stderr.write(
        `Không khởi động được trung tâm / the hub could not start: ${(err as Error).message}\n`,
      );
      return 1;
    }
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await hub.stop();
    return 0;
  }
  if ((PUBLISH_COMMANDS as readonly string[]).includes(command)) return publishCommand(command, args);
  if (command === 'user') return userCommand(args, { dataDir: dataDirDefault, database: databaseDefault });
  if (command === 'site') return siteCommand(args);
  if (command === 'kiosk') return kioskCommand(args);
  if (command === 'request') return requestCommand(args);
  if (command === 'retire') return retireCommand(args);
  if (command === 'dead-letters')
    return deadLettersCommand(args, { dataDir: dataDirDefault, database: databaseDefault });
  const { values } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string', default: dataDirDefault },
      database: { type: 'string', default: databaseDefault },
      'key-file': { type: 'string' },
      type: { type: 'string', default: 'cccd' },
      id: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      window: { type: 'string', default: '30' },
      day: { type: 'string' },
      csv: { type: 'boolean', default: false },
      'retention-days': { type: 'string', default: '21' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) usage(0);
  // Every day given is a real calendar day (2021-02-30 is refused, not rolled into March).
  for (const what of ['day', 'from', 'to'] as const) {
    const value = values[what];
    if (value !== undefined && !parseDay(value)) {
      const m = badDayMessage(`--${what}`, value);
      process.stderr.write(`${m.vi} / ${m.en}\n`);
      return 2;
    }
  }
  const store = await HubStore.open(values.database || undefined, values['data-dir']);
  const actor = `${userInfo().username}@cli`;
  try {
    if (command === 'trace') {
      if (!values['key-file'] || !values.id) usage(2);
      const key = readKeyFile(values['key-file']);
      const type = values.type as IdType;
      const id = values.id.replace(/\s+/g, '').toUpperCase();
      const from = vnDayStart(values.from ?? vnDay(new Date(Date.now() - 14 * 86_400_000)));
      const to = new Date(vnDayStart(values.to ?? vnDay(new Date())).getTime() + 86_400_000);
      const window = Number(values.window);
      if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || !(window > 0)) usage(2);
      const visits = await store.trace(hashIdentity(key, type, id).toString('hex'), from, to, window);
      // Every tracing query is audited; the number itself is not written, only its last 4 digits.
      await store.audit(actor, 'trace', {
        type,
        id: `…${id.slice(-4)}`,
        from: from.toISOString(),
        to: to.toISOString(),
        window,
        visits: visits.length,
      });
      if (values.csv) process.stdout.write(traceCsv(visits));
      else {
        out(
          `Số lần đến / visits: ${visits.length}; người tiếp xúc / co-visitors: ${visits.reduce((n, v) => n + v.coVisitors.length, 0)} (±${window} phút/min)`,
        );
        for (const v of visits) {
          out(
            `${formatVnDateTime(new Date(v.visit.at))}  ${v.visit.site}/${v.visit.kiosk}  (${v.coVisitors.length})`,
          );
          for (const c of v.coVisitors)
            out(
              `    ${formatVnDateTime(new Date(c.at))}  ${c.document.nameMasked}  ${c.document.numberMasked}`,
            );
        }
      }
      return 0;
    }
    if (command === 'report') {
      const day = values.day ?? vnDay(new Date(Date.now() - 86_400_000));
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
      const days = Number(values['retention-days']);
      const before = new Date(Date.now() - days * 86_400_000);
      const removed = await store.purge(before);
      const deadLetters = await store.purgeDeadLetters(before);
      await store.forgetLoginFailures();
      await store.audit(actor, 'purge', { days, removed, deadLetters });
      out(`Đã xóa / removed ${removed} check-ins and ${deadLetters} dead letters older than ${days} days`);
      return 0;
    }
    usage(2);
  } finally {
    await store.close();
  }
}

/**
 * `retire --client-id ID`: a hub process taken out of service leaves persistent sessions (one per
 * lane) that the broker keeps sending a share of the check-ins to. This stores what they hold and
 * ends them. Run it once the process is stopped for good, with the same broker and database.
 */
async function retireCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string', default: dataDirDefault },
      database: { type: 'string', default: databaseDefault },
      mqtt: { type: 'string', default: process.env.QRKIOSK_HUB_MQTT_URL ?? 'mqtt://127.0.0.1:1883' },
      'mqtt-v4': { type: 'boolean', default: false },
      username: { type: 'string', default: process.env.QRKIOSK_HUB_MQTT_USERNAME ?? '' },
      'password-file': { type: 'string', default: process.env.QRKIOSK_HUB_MQTT_PASSWORD_FILE ?? '' },
      share: { type: 'string', default: 'hub' },
      'client-id': { type: 'string' },
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
      'data-dir': { type: 'string', default: dataDirDefault },
      database: { type: 'string', default: databaseDefault },
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
