import { EventBus } from '../bus.js';
import type { Lang } from '../i18n.js';
import {
  applyGm65Settings,
  GM65_ZONE,
  type Gm65Settings,
  gm65Read,
  gm65Save,
  gm65Write,
  SerialScanner,
} from '../input/index.js';
import { createLogger } from '../log.js';
import { toolSettings } from './tool-settings.js';

export interface ConfigureOptions extends Gm65Settings {
  config?: string;
  path?: string;
  save?: boolean;
}

/** `qrkiosk scanner configure`: sets a GM65-class module's mode, terminator, light and beep over its UART. */
export async function scannerConfigure(options: ConfigureOptions, lang: Lang): Promise<number> {
  const loaded = toolSettings(options.config ? { config: options.config } : {}, lang);
  if (!loaded) return 2;
  const settings = {
    ...loaded.settings.scanner,
    ...(options.path ? { path: options.path } : {}),
    reconnectMinMs: 100,
  };
  const scanner = new SerialScanner(settings, () => undefined, new EventBus(), createLogger('silent'));
  scanner.start();
  try {
    const deadline = Date.now() + 3000;
    while (!scanner.connected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (!scanner.connected) throw new Error(`${settings.path ?? 'scanner'}: not found or cannot be opened`);
    const zone0 = (await scanner.command(gm65Read(GM65_ZONE.settings, 1)))[0] ?? 0;
    const zone60 = (await scanner.command(gm65Read(GM65_ZONE.terminator, 1)))[0] ?? 0;
    const next = applyGm65Settings(zone0, zone60, options);
    await scanner.command(gm65Write(GM65_ZONE.settings, next.zone0));
    await scanner.command(gm65Write(GM65_ZONE.terminator, next.zone60));
    if (options.save !== false) await scanner.command(gm65Save());
    process.stdout.write(
      lang === 'vi'
        ? `Đã cấu hình mô-đun: vùng 0x0000 = 0x${next.zone0.toString(16)}, vùng 0x0060 = 0x${next.zone60.toString(16)}${options.save !== false ? ', đã lưu' : ''}.\n`
        : `Module configured: zone 0x0000 = 0x${next.zone0.toString(16)}, zone 0x0060 = 0x${next.zone60.toString(16)}${options.save !== false ? ', saved' : ''}.\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  } finally {
    await scanner.stop();
  }
}
