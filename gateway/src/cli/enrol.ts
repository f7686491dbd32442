import { type EnrolStep, enrolKiosk } from '../enrolment/index.js';
import type { Lang } from '../i18n.js';
import { formatProblems, SettingsError } from '../settings/index.js';

export interface EnrolCliOptions {
  config: string;
  dataDir?: string;
  json?: boolean;
  /** Seconds to wait for the hub (default 15). */
  timeout?: string;
}

const STEPS: Record<EnrolStep, { vi: string; en: string }> = {
  'contacting-hub': { vi: 'Đang liên hệ trung tâm…', en: 'Contacting the hub…' },
  'writing-config': { vi: 'Đang ghi cấu hình và khóa…', en: 'Writing the config and keys…' },
  'broker-login': { vi: 'Đang đăng nhập broker…', en: 'Logging in to the broker…' },
};

/** `qrkiosk enrol CODE --config FILE [--data-dir DIR]`: exit codes in enrolment/outcome.ts (ENROL_EXIT). */
export async function enrolCommand(code: string, o: EnrolCliOptions, lang: Lang): Promise<number> {
  const seconds = o.timeout === undefined ? 15 : Number(o.timeout);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    process.stderr.write('--timeout: số giây > 0 / seconds > 0\n');
    return 2;
  }
  const result = await enrolKiosk({
    code,
    configFile: o.config,
    ...(o.dataDir ? { dataDir: o.dataDir } : {}),
    hubTimeoutMs: seconds * 1000,
    ...(o.json ? {} : { onStep: (step: EnrolStep) => process.stderr.write(`${STEPS[step][lang]}\n`) }),
  });
  if (o.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return result.ok ? 0 : result.exitCode;
  }
  if (result.ok) {
    process.stdout.write(
      lang === 'vi'
        ? `Đã đăng ký: kiosk ${result.kiosk} tại ${result.site} (${result.direction}), đã đăng nhập broker ${result.brokerUrl}.\nCấu hình: ${result.configFile}; khóa và mật khẩu: ${result.dataDir}\nKhởi động lại dịch vụ: sudo systemctl restart qrkiosk\n`
        : `Enrolled: kiosk ${result.kiosk} at ${result.site} (${result.direction}), logged in to the broker ${result.brokerUrl}.\nConfig: ${result.configFile}; keys and password: ${result.dataDir}\nRestart the service: sudo systemctl restart qrkiosk\n`,
    );
    return 0;
  }
  const other: Lang = lang === 'vi' ? 'en' : 'vi';
  process.stderr.write(
    `${lang === 'vi' ? 'Đăng ký không thành công' : 'Enrolment failed'} (${result.reason}): ${result.message[lang]}\n` +
      `  ${result.message[other]}\n  (${result.detail})\n` +
      // The hub's own words, as a detail: what it says is not ours to vouch for.
      (result.hubText ? `  ${lang === 'vi' ? 'trung tâm nói' : 'the hub says'}: ${result.hubText}\n` : ''),
  );
  if (result.problems)
    process.stderr.write(`${formatProblems(new SettingsError(o.config, result.problems), lang)}\n`);
  if (result.written)
    process.stderr.write(
      lang === 'vi'
        ? `Cấu hình đã ghi vào ${o.config} và được giữ lại (mã đã dùng): khởi động lại dịch vụ (sudo systemctl restart qrkiosk), kiosk sẽ tiếp tục thử đăng nhập broker; kiểm tra bằng qrkiosk doctor.\n`
        : `The config was written to ${o.config} and is kept (the code is spent): restart the service (sudo systemctl restart qrkiosk) and the kiosk keeps trying the broker login; check it with qrkiosk doctor.\n`,
    );
  return result.exitCode;
}
