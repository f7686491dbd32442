import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type DecodeResult, decodePayload, TrustStore } from '../decode/index.js';
import { KNOWN_DEVIATIONS } from './known-deviations.js';

/**
 * Runs dgc-testdata-style cases (`<country>/2DCode/raw/<n>.json`, or any tree of such files):
 * decodes each case's QR text (PREFIX) with its own signer certificate and validation clock, and
 * compares every EXPECTED… flag that applies to a scanner-side verifier with the result.
 */

/** Flags a kiosk can be held to, and what each means in terms of our result. */
const CHECKS: Record<string, (r: WithHcert, c: TestCase) => boolean> = {
  EXPECTEDUNPREFIX: (r) => r.kind === 'dcc' && r.error?.code !== 'dcc-prefix',
  EXPECTEDB45DECODE: (r) => reached(r, 'dcc-base45'),
  EXPECTEDCOMPRESSION: (r) => reached(r, 'dcc-compression'),
  EXPECTEDDECODE: (r) => decoded(r),
  EXPECTEDVERIFY: (r) => decoded(r) && r.dcc?.signature === 'valid',
  EXPECTEDEXPIRATIONCHECK: (r) => decoded(r) && !r.dcc?.expired && !r.dcc?.notYetValid,
  EXPECTEDSCHEMAVALIDATION: (r) => decoded(r) && r.dcc?.schemaValid === true,
  EXPECTEDKEYUSAGE: (r) => decoded(r) && r.dcc?.keyUsageOk === true,
  EXPECTEDVALIDJSON: (r, c) => decoded(r) && c.JSON !== undefined && sameJson(r.hcert, c.JSON),
};
/** Spelling variants seen in the test files. */
const ALIASES: Record<string, string> = { EXPTECTEDEXPIRED: 'EXPECTEDEXPIRATIONCHECK' };
/** Flags about producing or photographing codes: nothing a scanner-side verifier does. */
const NOT_APPLICABLE = new Set([
  'EXPECTEDPICTUREDECODE',
  'EXPECTEDENCODE',
  'EXPECTEDVALIDOBJECT',
  'EXPECTEDRESULTS',
]);

const EARLY = ['dcc-prefix', 'dcc-base45', 'dcc-compression', 'dcc-cose', 'dcc-payload'];
function reached(r: DecodeResult, stage: string): boolean {
  if (r.kind !== 'dcc') return false;
  const failedAt = EARLY.indexOf(r.error?.code ?? '');
  return failedAt === -1 || failedAt > EARLY.indexOf(stage);
}
const decoded = (r: DecodeResult) => r.kind === 'dcc' && !EARLY.includes(r.error?.code ?? '');

interface TestCase {
  PREFIX?: string;
  BASE45?: string;
  JSON?: unknown;
  TESTCTX?: {
    CERTIFICATE?: string;
    VALIDATIONCLOCK?: string;
    validationClockInstant?: string;
    DESCRIPTION?: string;
  };
  EXPECTEDRESULTS?: Record<string, unknown>;
}

export interface CaseOutcome {
  file: string;
  description: string;
  status: 'passed' | 'failed' | 'known-deviation' | 'skipped';
  /** Flags whose expectation we did not meet: `FLAG expected X`. */
  mismatches: string[];
  /** Why a known deviation is one, or why a case was skipped. */
  note?: string;
}

export interface ConformanceReport {
  cases: CaseOutcome[];
  passed: number;
  failed: number;
  knownDeviations: number;
  skipped: number;
}

function findCases(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findCases(path));
    else if (name.endsWith('.json')) out.push(path);
  }
  return out;
}

/**
 * Country and case name of a file: dgc-testdata lays cases out as `<country>/2DCode/raw/<n>.json`, so
 * the country is the folder above `2DCode` wherever the run starts (the whole tree, or one country's
 * folder); outside that layout, the first folder under the run's root.
 */
function caseId(path: string, file: string): { country: string; caseName: string } {
  const parts = path.split(/[\\/]/);
  const at = parts.findIndex((p) => p.toLowerCase() === '2dcode');
  const country = at > 0 ? (parts[at - 1] as string) : (file.split(/[\\/]/)[0] ?? '');
  return { country, caseName: (parts.pop() ?? '').replace(/\.json$/, '') };
}

/** A clock with no zone is UTC (the vectors agree on this). */
function parseClock(text: string): Date {
  const withZone = /([zZ]|[+-]\d{2}:?\d{2})$/.test(text) ? text : `${text}Z`;
  return new Date(withZone);
}

export function runConformance(dir: string): ConformanceReport {
  const cases: CaseOutcome[] = [];
  for (const path of findCases(dir)) {
    const file = relative(dir, path);
    let tc: TestCase;
    try {
      tc = JSON.parse(readFileSync(path, 'utf8')) as TestCase;
    } catch (err) {
      cases.push({
        file,
        description: '',
        status: 'skipped',
        mismatches: [],
        note: `not JSON: ${(err as Error).message}`,
      });
      continue;
    }
    const ctx = tc.TESTCTX ?? {};
    const expected = tc.EXPECTEDRESULTS;
    const payload = tc.PREFIX ?? (tc.BASE45 !== undefined ? `HC1:${tc.BASE45}` : undefined);
    const description = ctx.DESCRIPTION ?? '';
    if (!expected || payload === undefined) {
      cases.push({
        file,
        description,
        status: 'skipped',
        mismatches: [],
        note: 'no EXPECTEDRESULTS or no PREFIX/BASE45',
      });
      continue;
    }
    const trust = new TrustStore();
    if (ctx.CERTIFICATE) {
      try {
        trust.add(ctx.CERTIFICATE, `${file} CERTIFICATE`);
      } catch {
        // An unreadable certificate is part of what some cases test: the signer stays unknown.
      }
    }
    const clockText = ctx.VALIDATIONCLOCK ?? ctx.validationClockInstant;
    const at = clockText ? parseClock(clockText) : new Date();
    const result = decodeWithHcert(payload, at, trust);
    const mismatches: string[] = [];
    for (const [rawFlag, want] of Object.entries(expected)) {
      const flag = ALIASES[rawFlag] ?? rawFlag;
      if (NOT_APPLICABLE.has(flag) || typeof want !== 'boolean') continue;
      const check = CHECKS[flag];
      if (!check) continue;
      if (flag === 'EXPECTEDVALIDJSON' && tc.JSON === undefined) continue;
      const got = check(result, tc);
      if (got !== want)
        mismatches.push(
          `${rawFlag} expected ${want}, got ${got}${result.error ? ` (${result.error.code})` : ''}`,
        );
    }
    const { country, caseName } = caseId(path, file);
    const known = KNOWN_DEVIATIONS.find((k) => k.country === country && k.case === caseName);
    const status = mismatches.length === 0 ? 'passed' : known ? 'known-deviation' : 'failed';
    cases.push({
      file,
      description,
      status,
      mismatches,
      ...(known && mismatches.length ? { note: known.reason } : {}),
    });
  }
  const count = (s: CaseOutcome['status']) => cases.filter((c) => c.status === s).length;
  return {
    cases,
    passed: count('passed'),
    failed: count('failed'),
    knownDeviations: count('known-deviation'),
    skipped: count('skipped'),
  };
}

type WithHcert = DecodeResult & { hcert?: unknown };

/** Decodes, and keeps the decoded HCERT for the JSON comparison (the kiosk itself never needs it). */
function decodeWithHcert(payload: string, at: Date, trust: TrustStore): WithHcert {
  return decodePayload(payload, { at, trust, keepHcert: true }) as WithHcert;
}

/** Order-insensitive comparison; date-like strings compared to the second (as the vectors' own tests do). */
function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(normalise(a)) === JSON.stringify(normalise(b));
}

function normalise(v: unknown): unknown {
  if (Array.isArray(v))
    return v.map(normalise).sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1));
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .sort(([x], [y]) => (x < y ? -1 : 1))
        .map(([k, x]) => [k, normalise(x)]),
    );
  }
  if (
    typeof v === 'string' &&
    /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([zZ]|[+-]\d{2}:?\d{2})?)?$/.test(v)
  ) {
    const t = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(v) || v.length === 10 ? v : `${v}Z`);
    return Number.isNaN(t) ? v : new Date(Math.floor(t / 1000) * 1000).toISOString();
  }
  return v;
}

/** The report as a person reads it; ends with the line `N passed, M failed`. */
export function formatConformance(report: ConformanceReport, verbose: boolean): string {
  const lines: string[] = [];
  for (const c of report.cases) {
    if (c.status === 'passed' && !verbose) continue;
    const head = `${c.status.toUpperCase().padEnd(15)} ${c.file}${c.description ? `  — ${c.description}` : ''}`;
    lines.push(head, ...c.mismatches.map((m) => `    ${m}`), ...(c.note ? [`    note: ${c.note}`] : []));
  }
  lines.push(
    `${report.cases.length} cases: ${report.passed} passed, ${report.failed} failed, ${report.knownDeviations} known deviations, ${report.skipped} skipped`,
  );
  lines.push(`${report.passed} passed, ${report.failed} failed`);
  return lines.join('\n');
}
