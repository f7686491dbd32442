import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { formatVnDateTime, type TracingPrivateKey } from '@qrkiosk/protocol';
import { fail, out, readKeyFile } from './cli-files.js';
import { storeFlags } from './cli-settings.js';
import type { HubSettings } from './settings/index.js';
import { HubStore } from './store.js';
import { traceCsv } from './tracing/csv.js';
import { tracePrintPage } from './tracing/print.js';
import { type TraceResult, VERIFY_ONLY_NOTE, verifyOnlyLabels } from './tracing/result.js';
import { RevealError, readTracingKeys } from './tracing/reveal.js';
import { checkTrace, runTrace, TRACE_DEFAULT_WINDOW_MIN, TRACE_ID_TYPES } from './use-cases/trace.js';

export const TRACE_USAGE = [
  `qrkiosk-hub trace --key-file FILE --type ${TRACE_ID_TYPES.join('|')} --id NUMBER [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--window MIN] [--f2] [--case TEXT] [--csv | --json | --html] [--reveal --tracing-key FILE --reason TEXT]`,
  '  (audited; --tracing-key may be given once per rotated key; --html: the printable A4 F1 list)',
];

/** A refusal in both languages, exit 2 (like a bad flag): never a stack. */
const refuse = (m: { vi: string; en: string }): number => fail(m.vi, m.en);

/** The tracing key files of a reveal, read for this run only; a missing or foreign file is refused. */
function tracingKeys(files: ReadonlyArray<string>): TracingPrivateKey[] | { vi: string; en: string } {
  const pems: Buffer[] = [];
  for (const file of files) {
    try {
      pems.push(readFileSync(file));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      return {
        vi: `Không đọc được tệp khóa truy vết ${file} (${code})`,
        en: `cannot read the tracing key file ${file} (${code})`,
      };
    }
  }
  try {
    return readTracingKeys(pems);
  } catch (err) {
    if (err instanceof RevealError)
      return { vi: `${files.join(', ')}: ${err.text.vi}`, en: `${files.join(', ')}: ${err.text.en}` };
    throw err;
  }
}

/** The human answer: counts of people and check-ins, then each person with overlap minutes and site names. */
function printHuman(r: TraceResult): void {
  const c = r.counts;
  // Said first: the answer below cannot include who was at these sites (issue #19).
  if (r.verifyOnlySites?.length)
    out(`${VERIFY_ONLY_NOTE.vi} / ${VERIFY_ONLY_NOTE.en} ${verifyOnlyLabels(r).join(', ')}`);
  out(
    `Nơi đã đến / visits: ${c.visits} · F1: ${c.f1People} người / people (${c.f1Checkins} check-in)${
      r.query.f2 ? ` · F2: ${c.f2People} người / people (${c.f2Checkins} check-in)` : ''
    } · ±${r.query.window} phút/min${r.limits.truncated ? ' · F2 bị giới hạn / F2 cut at its limit' : ''}`,
  );
  for (const v of r.visits)
    out(
      `  ${formatVnDateTime(new Date(v.at))}  ${v.siteName || v.site} (${v.site}/${v.kiosk})  ${
        v.notEntered ? 'không vào / did not enter' : `${v.coVisitors} người/people`
      }`,
    );
  for (const p of r.people) {
    const who = p.identities?.length
      ? p.identities.map((i) => `${i.name} ${i.kind} ${i.number}${i.phone ? ` ☎ ${i.phone}` : ''}`).join('; ')
      : p.documents.map((d) => `${d.nameMasked} ${d.numberMasked}`).join('; ');
    out(
      `${p.ref}  ${who}  ${p.overlapMinutes} phút/min${p.unopened ? `  (${p.unopened} chưa mở / not opened)` : ''}`,
    );
    for (const t of p.contacts)
      out(
        `    ${formatVnDateTime(new Date(t.at))}  ${t.siteName || t.site}  ${t.overlapMinutes} phút/min${t.via ? `  qua/via ${t.via}` : ''}`,
      );
  }
}

/** The command's flags (parseArgs throws on an unknown one or a missing value). */
const traceFlags = (argv: string[], settings: HubSettings) =>
  parseArgs({
    args: argv,
    options: {
      ...storeFlags(settings),
      'key-file': {
        type: 'string',
        ...(settings.privacy.hashKeyFile ? { default: settings.privacy.hashKeyFile } : {}),
      },
      type: { type: 'string', default: 'cccd' },
      id: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      window: { type: 'string', default: String(TRACE_DEFAULT_WINDOW_MIN) },
      f2: { type: 'boolean', default: false },
      case: { type: 'string' },
      csv: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      html: { type: 'boolean', default: false },
      reveal: { type: 'boolean', default: false },
      'tracing-key': { type: 'string', multiple: true },
      reason: { type: 'string' },
    },
  }).values;

/** `qrkiosk-hub trace …`: the same use case as POST /api/trace, audited as the user running it. */
export async function traceCommand(argv: string[], settings: HubSettings): Promise<number> {
  let values: ReturnType<typeof traceFlags>;
  try {
    values = traceFlags(argv, settings);
  } catch (err) {
    // parseArgs speaks English only: its message (which flag) is kept, said in both languages.
    const why = (err as Error).message;
    refuse({ vi: `Tùy chọn không hợp lệ: ${why}`, en: `bad option: ${why}` });
    process.stderr.write(`${TRACE_USAGE.join('\n')}\n`);
    return 2;
  }
  if ([values.csv, values.json, values.html].filter(Boolean).length > 1)
    return refuse({
      vi: 'Chỉ chọn một: --csv, --json hoặc --html',
      en: 'choose one of --csv, --json, --html',
    });
  const keyFiles = values['tracing-key'] ?? [];
  if (values.reveal && (keyFiles.length === 0 || values.reason === undefined))
    return refuse({
      vi: 'Mở danh tính (--reveal) cần --tracing-key TỆP và --reason "lý do"',
      en: '--reveal needs --tracing-key FILE and --reason TEXT',
    });
  if (!values.reveal && (keyFiles.length > 0 || values.reason !== undefined))
    return refuse({
      vi: '--tracing-key và --reason chỉ dùng với --reveal',
      en: '--tracing-key and --reason go with --reveal only',
    });
  // The query is checked whole (days, type, number, window, case, reason) before any file is read.
  const checked = checkTrace({
    type: values.type,
    id: values.id ?? '',
    from: values.from,
    to: values.to,
    window: Number(values.window),
    f2: values.f2,
    case: values.case,
    reveal: values.reveal ? { reason: values.reason } : undefined,
  });
  if (!checked.ok) return refuse(checked.problem);
  if (!values['key-file'])
    return refuse({
      vi: 'Thiếu --key-file (khóa triển khai)',
      en: '--key-file (the deployment key) is missing',
    });
  const hashKey = readKeyFile(values['key-file']);
  const keys = values.reveal ? tracingKeys(keyFiles) : undefined;
  if (keys && !Array.isArray(keys)) return refuse(keys);
  const store = await HubStore.open(values.database || undefined, values['data-dir']);
  try {
    const format = values.csv ? 'csv' : values.html ? 'print' : 'json';
    const result = await runTrace(store, hashKey, checked.query, {
      actor: `${userInfo().username}@cli`,
      format,
      ...(keys ? { keys } : {}),
    });
    if (values.csv) process.stdout.write(traceCsv(result));
    else if (values.html)
      process.stdout.write(tracePrintPage(result, { office: settings.privacy.tracingOffice }));
    else if (values.json) out(JSON.stringify(result, null, 2));
    else printHuman(result);
    return 0;
  } catch (err) {
    if (err instanceof RevealError) return refuse(err.text);
    throw err;
  } finally {
    await store.close();
  }
}
