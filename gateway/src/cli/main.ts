#!/usr/bin/env node
import { Command, Option } from 'commander';
import { pickLang } from '../i18n.js';
import { SOFTWARE_VERSION } from '../version.js';
import { configCheck } from './config-check.js';
import { decodeCommand } from './decode.js';
import { runCommand } from './run.js';

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
    process.exitCode = await runCommand(opts.config, pickLang(program.opts().lang));
  });

const config = program.command('config').description('Cấu hình / configuration');
config
  .command('check')
  .argument('<file>', 'tệp kiosk.yaml / the kiosk.yaml file')
  .description('Kiểm tra tệp cấu hình; mã thoát 2 nếu có lỗi / validate a config file; exit 2 on error')
  .option('--json', 'kết quả JSON / JSON output')
  .action((file: string, opts: { json?: boolean }) => {
    process.exitCode = configCheck(file, pickLang(program.opts().lang), opts.json === true);
  });

program
  .command('decode')
  .argument('<payload>', 'nội dung mã QR / the scanned text')
  .description('Giải mã một mã QR, không cần phần cứng / decode one scanned code, no hardware needed')
  .option('--json', 'kết quả JSON / JSON output')
  .action((payload: string, opts: { json?: boolean }) => {
    process.exitCode = decodeCommand(payload, pickLang(program.opts().lang), opts.json === true);
  });

await program.parseAsync();
