#!/usr/bin/env node
// First: in a release bundle, refuse a Node whose ABI the native addons were not built for.
import './release-guard.js';
import { Command, InvalidArgumentError, Option } from 'commander';
import { pickLang } from '../i18n.js';
import { SOFTWARE_VERSION } from '../version.js';
import { DEFAULT_CONFIG } from './default-config.js';

// Commands and options are declared here, statically, so `--help` and `--version` need nothing else; each action
// imports its command's module when it runs. Importing them all up front (fastify, mqtt, serialport, the DCC
// schema…) cost about a second of CPU on every call, --version included — on a Pi, on every technician command,
// on the unit's ExecStartPre and on the daemon's start.

const program = new Command();
program
  .name('qrkiosk')
  .description(
    'Kiosk quét mã QR check-in / QR check-in kiosk.\n' +
      'Ngôn ngữ / language: --lang vi|en (hoặc/or QRKIOSK_LANG).',
  )
  .version(SOFTWARE_VERSION)
  .addOption(new Option('--lang <lang>', 'vi | en').choices(['vi', 'en']))
  .showHelpAfterError();

program
  .command('run')
  .description('Chạy kiosk (máy quét → quyết định → đèn → nhật ký → MQTT) / run the kiosk daemon')
  .option('-c, --config <file>', 'tệp cấu hình / config file', '/etc/qrkiosk/kiosk.yaml')
  .action(async (opts: { config: string }) => {
    const { runCommand } = await import('./run.js');
    process.exitCode = await runCommand(opts.config, pickLang(program.opts().lang));
  });

program
  .command('enrol')
  .argument('<code>', 'mã đăng ký QRKE1/… từ trung tâm / the QRKE1/… enrolment code from the hub')
  .description(
    'Đăng ký kiosk với trung tâm bằng một mã / enrol this kiosk with one code: gets its id, broker login and keys, ' +
      'writes kiosk.yaml and its secrets, logs in to the broker',
  )
  .option('-c, --config <file>', 'tệp cấu hình sẽ ghi / config file to write', '/etc/qrkiosk/kiosk.yaml')
  .option(
    '--data-dir <dir>',
    'thư mục dữ liệu và khóa / data and key folder (default: data.dir of the file, else /var/lib/qrkiosk)',
  )
  .option('--timeout <seconds>', 'chờ trung tâm tối đa / wait for the hub at most', '15')
  .option('--json', 'kết quả JSON / JSON output')
  .addHelpText(
    'after',
    '\nMã thoát / exit codes:\n' +
      '  0  đã đăng ký và đăng nhập broker / enrolled and logged in to the broker\n' +
      '  2  mã sai dạng, hoặc kiosk.yaml không đọc/ghi được / malformed code, or kiosk.yaml unreadable/unwritable\n' +
      '  3  trung tâm từ chối (mã lạ, đã dùng, hết hạn, thu hồi…) / refused by the hub (unknown, used, expired, withdrawn…)\n' +
      '  4  không kết nối được trung tâm / hub unreachable\n' +
      '  5  đã ghi cấu hình nhưng không đăng nhập được broker (tệp được giữ) / config written but the broker login failed (files kept)\n' +
      '  6  trả lời không có chữ ký đúng của trung tâm (không ghi gì) / answer not signed by the hub’s key (nothing written)\n',
  )
  .action(
    async (code: string, opts: { config: string; dataDir?: string; json?: boolean; timeout?: string }) => {
      const { enrolCommand } = await import('./enrol.js');
      process.exitCode = await enrolCommand(code, opts, pickLang(program.opts().lang));
    },
  );

const config = program.command('config').description('Cấu hình / configuration');
config
  .command('check')
  .argument('<file>', 'tệp kiosk.yaml / the kiosk.yaml file')
  .description('Kiểm tra tệp cấu hình; mã thoát 2 nếu có lỗi / validate a config file; exit 2 on error')
  .option('--json', 'kết quả JSON / JSON output')
  .action(async (file: string, opts: { json?: boolean }) => {
    const { configCheck } = await import('./config-check.js');
    process.exitCode = configCheck(file, pickLang(program.opts().lang), opts.json === true);
  });

program
  .command('decode')
  .argument('[payload]', 'nội dung mã QR / the scanned text')
  .description('Giải mã một mã QR, không cần phần cứng / decode a scanned code, no hardware needed')
  .option('--json', 'kết quả JSON / JSON output')
  .option('--jsonl', 'đọc yêu cầu JSON từng dòng từ stdin / read one JSON request per stdin line')
  .option('--at <iso>', 'thời điểm kiểm tra / validation time (ISO-8601)')
  .option(
    '--trust <file>',
    'chứng thư ký DCC (PEM/DER), lặp lại được / DCC signer certificate (PEM/DER), repeatable',
    (file: string, all: string[]) => [...all, file],
    [] as string[],
  )
  .option(
    '--revocation <file>',
    'danh sách thu hồi DCC có chữ ký của trung tâm (QRKR1) / signed DCC revocation list from the hub',
  )
  .option(
    '--hub-key <file>',
    'khóa công khai của trung tâm để kiểm tra --revocation, lặp lại được (mặc định: updates.publicKeyFiles của kiosk) / hub public key to check --revocation, repeatable (default: the kiosk settings)',
    (file: string, all: string[]) => [...all, file],
    [] as string[],
  )
  .option(
    '--site <id>',
    'thẻ QR qrkiosk: địa điểm để xét phạm vi / printed pass: the site to judge its scope for',
  )
  .option(
    '--passes <file>',
    'thẻ QR qrkiosk: danh sách thẻ có chữ ký của trung tâm (QRKPL1); không có: thẻ là pass-unlisted / printed pass: the signed pass list from the hub; without it a pass is pass-unlisted',
  )
  .action(
    async (
      payload: string | undefined,
      opts: {
        json?: boolean;
        jsonl?: boolean;
        at?: string;
        trust: string[];
        revocation?: string;
        hubKey: string[];
        site?: string;
        passes?: string;
      },
    ) => {
      const lang = pickLang(program.opts().lang);
      const revocation = { ...(opts.revocation ? { file: opts.revocation } : {}), hubKeys: opts.hubKey };
      const { decodeCommand, decodeJsonl } = await import('./decode.js');
      if (opts.jsonl) {
        process.exitCode = await decodeJsonl(opts.trust, revocation, lang);
        return;
      }
      if (payload === undefined) {
        process.stderr.write('Thiếu nội dung mã / missing PAYLOAD (or use --jsonl)\n');
        process.exitCode = 2;
        return;
      }
      process.exitCode = decodeCommand(payload, lang, {
        json: opts.json === true,
        trust: opts.trust,
        revocation,
        passes: { ...(opts.site ? { site: opts.site } : {}), ...(opts.passes ? { list: opts.passes } : {}) },
        ...(opts.at ? { at: opts.at } : {}),
      });
    },
  );

program
  .command('conformance')
  .argument('<dir>', 'thư mục kiểu dgc-testdata / a dgc-testdata-style folder')
  .description(
    'Chạy bộ kiểm thử hộ chiếu vắc-xin EU DCC; kết thúc bằng "N passed, M failed" / run EU DCC test vectors',
  )
  .option('--json', 'kết quả JSON / JSON output')
  .option('-v, --verbose', 'liệt kê cả ca đạt / list passing cases too')
  .action(async (dir: string, opts: { json?: boolean; verbose?: boolean }) => {
    const { conformanceCommand } = await import('./conformance.js');
    process.exitCode = conformanceCommand(dir, opts.json === true, opts.verbose === true);
  });

const cache = program
  .command('cache')
  .description('Dữ liệu tiêm chủng/xét nghiệm trên kiosk / the kiosk facts cache');
const dataOptions = (c: Command) =>
  c
    .option('-c, --config <file>', 'tệp cấu hình / config file (default /etc/qrkiosk/kiosk.yaml if present)')
    .option('--data-dir <dir>', 'thư mục dữ liệu / data folder (or QRKIOSK_DATA_DIR)')
    .option('--json', 'kết quả JSON / JSON output');
dataOptions(
  cache
    .command('import')
    .argument('<file>', 'tệp CSV / CSV file')
    .description(
      `Nhập CSV (không ký) / import a CSV (unsigned). Cột / columns: ${'id_type,id,doses_received,primary_series_complete,first_dose_date,last_dose_date,recovered_date,negative_test_at,negative_test_type,case_status,case_until'}`,
    ),
).action(async (file: string, opts: { config?: string; dataDir?: string; json?: boolean }) => {
  const { cacheImport } = await import('./cache.js');
  process.exitCode = await cacheImport(file, opts, pickLang(program.opts().lang));
});
dataOptions(
  cache
    .command('apply')
    .argument('<file>', 'bản cập nhật có chữ ký / signed update file')
    .description('Áp dụng bản cập nhật có chữ ký của trung tâm / apply a signed update from the hub'),
).action(async (file: string, opts: { config?: string; dataDir?: string }) => {
  const { cacheApply } = await import('./cache.js');
  process.exitCode = cacheApply(file, opts, pickLang(program.opts().lang));
});
dataOptions(
  cache.command('status').description('Phiên bản, số định danh, dung lượng / version, identities, size'),
).action(async (opts: { config?: string; dataDir?: string; json?: boolean }) => {
  const { cacheStatus } = await import('./cache.js');
  process.exitCode = cacheStatus(opts, pickLang(program.opts().lang));
});

const revocation = program
  .command('revocation')
  .description('Danh sách thu hồi hộ chiếu vắc-xin EU DCC / the EU DCC revocation list');
dataOptions(
  revocation
    .command('apply')
    .argument('<file>', 'danh sách thu hồi có chữ ký (QRKR1) / signed revocation list file')
    .description(
      'Cài danh sách thu hồi có chữ ký của trung tâm (khi quá lớn để gửi qua MQTT) / install a signed revocation list from the hub (when too big for MQTT)',
    ),
).action(async (file: string, opts: { config?: string; dataDir?: string }) => {
  const { revocationApply } = await import('./revocation.js');
  process.exitCode = revocationApply(file, opts, pickLang(program.opts().lang));
});

dataOptions(
  program
    .command('check')
    .argument('<payload>', 'nội dung mã QR / the scanned text')
    .description(
      'Giải mã + tra cứu + quyết định, không cần phần cứng / decode + lookup + decide, no hardware',
    )
    .option('--at <iso>', 'thời điểm quét / scan time (ISO-8601)')
    .option('--level <n>', 'cấp độ dịch 1–4 / epidemic level 1–4'),
).action(
  async (
    payload: string,
    opts: { config?: string; dataDir?: string; json?: boolean; at?: string; level?: string },
  ) => {
    const { checkCommand } = await import('./check.js');
    process.exitCode = await checkCommand(payload, opts, pickLang(program.opts().lang));
  },
);

program
  .command('devices')
  .description('Liệt kê máy quét đang cắm / list attached scanners (serial and HID) with a guess of the type')
  .option('--json', 'kết quả JSON / JSON output')
  .action(async (opts: { json?: boolean }) => {
    const { devicesCommand } = await import('./devices.js');
    process.exitCode = await devicesCommand(pickLang(program.opts().lang), opts.json === true);
  });

const scannerCmd = program.command('scanner').description('Máy quét / scanner');
scannerCmd
  .command('configure')
  .description('Cấu hình mô-đun GM65/GM861 qua UART / configure a GM65/GM861-class module over its UART')
  .option('-c, --config <file>', 'tệp cấu hình / config file (scanner section)')
  .option('--path <path>', 'cổng / port, e.g. /dev/ttyUSB0')
  .addOption(
    new Option('--mode <mode>', 'chế độ / scan mode').choices([
      'manual',
      'command',
      'continuous',
      'induction',
    ]),
  )
  .addOption(
    new Option('--terminator <t>', 'ký tự kết thúc / terminator').choices(['CR', 'CRLF', 'TAB', 'none']),
  )
  .addOption(new Option('--light <l>', 'đèn chiếu / illumination').choices(['normal', 'always', 'off']))
  .addOption(new Option('--beep <on|off>', 'tiếng bíp / beep').choices(['on', 'off']))
  .option('--no-save', 'không lưu vào bộ nhớ / do not save to flash')
  .action(
    async (opts: {
      config?: string;
      path?: string;
      mode?: 'manual' | 'command' | 'continuous' | 'induction';
      terminator?: 'CR' | 'CRLF' | 'TAB' | 'none';
      light?: 'normal' | 'always' | 'off';
      beep?: 'on' | 'off';
      save: boolean;
    }) => {
      const { scannerConfigure } = await import('./scanner-configure.js');
      process.exitCode = await scannerConfigure(
        {
          ...(opts.config ? { config: opts.config } : {}),
          ...(opts.path ? { path: opts.path } : {}),
          ...(opts.mode ? { mode: opts.mode } : {}),
          ...(opts.terminator ? { terminator: opts.terminator } : {}),
          ...(opts.light ? { light: opts.light } : {}),
          ...(opts.beep ? { beep: opts.beep === 'on' } : {}),
          save: opts.save,
        },
        pickLang(program.opts().lang),
      );
    },
  );

program
  .command('selftest')
  .description('Thử từng đèn, còi và rơ-le / each light, the buzzer and the relay in turn')
  .option('-c, --config <file>', 'tệp cấu hình / config file (default /etc/qrkiosk/kiosk.yaml if present)')
  .action(async (opts: { config?: string }) => {
    const { selftestCommand } = await import('./selftest.js');
    process.exitCode = await selftestCommand(opts, pickLang(program.opts().lang));
  });

program
  .command('doctor')
  .description(
    'Kiểm tra toàn bộ kiosk, mỗi dòng một mục và cách sửa; mã thoát 0 tốt, 1 có lỗi, 2 cấu hình hỏng / check the whole kiosk, one line per item with its fix; exit 0 fine, 1 a check failed, 2 bad config',
  )
  .option('-c, --config <file>', 'tệp cấu hình / config file', DEFAULT_CONFIG)
  .option('--json', 'kết quả JSON (qrkiosk.doctor/1) / JSON output (qrkiosk.doctor/1)')
  .option(
    '--scan-timeout <seconds>',
    'chờ quét thử bao lâu / how long to wait for a test scan',
    (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 600) throw new InvalidArgumentError('1–600 giây / seconds');
      return n;
    },
    20,
  )
  .option('--no-scan', 'không yêu cầu quét thử / do not ask for a test scan')
  .option(
    '--blink',
    'nháy từng đèn, còi, rơ-le (cửa mở) / blink each light, the buzzer, the relay (the door opens)',
  )
  // A wrong option is a bad invocation, not a failed check: 2, as a bad config (1 means "a check failed").
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  .action(
    async (opts: { config: string; json?: boolean; scanTimeout: number; scan: boolean; blink?: boolean }) => {
      const { doctorCommand } = await import('./doctor.js');
      process.exitCode = await doctorCommand(
        {
          config: opts.config,
          json: opts.json === true,
          scan: opts.scan,
          scanTimeout: opts.scanTimeout,
          blink: opts.blink === true,
        },
        pickLang(program.opts().lang),
      );
    },
  );

const update = program
  .command('update')
  .description(
    'Cập nhật phần mềm kiosk (bản phát hành có chữ ký) / software updates (signed release bundles)',
  );
const collect = (v: string, prev: string[] = []) => [...prev, v];
update
  .command('apply')
  .description(
    'Cài bản phát hành bên cạnh bản đang chạy, khởi động lại, tự kiểm tra, quay lại bản cũ nếu lỗi / install a bundle beside the running version, restart, check, roll back when unhealthy',
  )
  .option('-c, --config <file>', 'tệp cấu hình (mục software:) / config file (its software: section)')
  .option('--bundle <file>', 'qrkiosk-<v>-linux-<arch>.tar.gz')
  .option('--sig <file>', 'chữ ký của gói / the bundle signature (.tar.gz.sig)')
  .option('--sha256 <hex>', 'sha256 mong đợi / expected sha256')
  .option(
    '--request <file>',
    'yêu cầu do daemon để lại / the request the daemon left (software/request.json)',
  )
  .option(
    '--root <dir>',
    'thư mục chứa qrkiosk-<v>/ / folder of qrkiosk-<v>/ and the qrkiosk link (default software.root, /opt)',
  )
  .option('--release-key <pem>', 'khóa công khai phát hành / release public key (repeatable)', collect)
  .option('--restart <command>', 'lệnh khởi động lại, thoát 0 khi READY / restart command, exit 0 once READY')
  .option('--check <command>', 'lệnh kiểm tra sau READY / check command after READY (repeatable)', collect)
  .option('--ready-seconds <n>', 'giới hạn thời gian / time limit per step')
  .option(
    '--allow-downgrade',
    'cho phép cài bản cũ hơn bản đang chạy / allow a version older than the running one',
  )
  .option('--json', 'kết quả JSON / JSON output')
  .addHelpText(
    'after',
    '\nMã thoát / exit codes: 0 khỏe / healthy, 1 đã quay lại bản cũ hoặc hỏng / rolled back or failed, 2 sai lệnh / bad invocation, 3 gói bị từ chối / bundle refused\n',
  )
  .action(async (opts) => {
    const { updateApplyCommand } = await import('./update.js');
    process.exitCode = await updateApplyCommand(opts, pickLang(program.opts().lang));
  });
update
  .command('status')
  .description('Phiên bản đang chạy và lần cập nhật gần nhất / running version and the last update')
  .option('-c, --config <file>', 'tệp cấu hình / config file')
  .option('--root <dir>', 'thư mục cài đặt / install root')
  .option('--json', 'kết quả JSON / JSON output')
  .action(async (opts: { config?: string; root?: string; json?: boolean }) => {
    const { updateStatusCommand } = await import('./update.js');
    process.exitCode = updateStatusCommand(opts, pickLang(program.opts().lang));
  });

await program.parseAsync();
