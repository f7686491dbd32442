import { doctorExitCode, runDoctor } from '../doctor/index.js';
import type { Lang } from '../i18n.js';

export interface DoctorCliOptions {
  config: string;
  json: boolean;
  scan: boolean;
  scanTimeout: number;
  blink: boolean;
}

const MARK = { ok: 'OK  ', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' } as const;

/**
 * `qrkiosk doctor`: one line per check, the fix under each that needs one; `--json` prints the
 * report (protocol/src/doctor.ts) and nothing else on stdout. Prompts go to stderr either way.
 */
export async function doctorCommand(o: DoctorCliOptions, lang: Lang): Promise<number> {
  const report = await runDoctor(
    { config: o.config, scanTimeoutMs: o.scan ? o.scanTimeout * 1000 : 0, blink: o.blink },
    { say: (said) => process.stderr.write(`${said[lang]}\n`) },
  );
  if (o.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else {
    const out: string[] = [];
    for (const c of report.checks) {
      const [first, ...rest] = c.message[lang].split('\n');
      out.push(`[${MARK[c.status]}] ${c.id.padEnd(15)} ${first}`);
      for (const line of rest) out.push(`                        ${line}`);
      if (c.fix[lang] && c.status !== 'ok')
        out.push(`       ${lang === 'vi' ? 'Cách sửa' : 'Fix'}: ${c.fix[lang]}`);
    }
    const fails = report.checks.filter((c) => c.status === 'fail').length;
    const warns = report.checks.filter((c) => c.status === 'warn').length;
    out.push(
      lang === 'vi'
        ? `Kết quả: ${fails} lỗi, ${warns} cảnh báo.`
        : `Result: ${fails} failed, ${warns} warnings.`,
    );
    process.stdout.write(`${out.join('\n')}\n`);
  }
  return doctorExitCode(report);
}
