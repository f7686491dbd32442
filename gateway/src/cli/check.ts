import { Controller } from '../controller.js';
import type { Lang } from '../i18n.js';
import { createLogger } from '../log.js';
import { toolSettings } from './tool-settings.js';

export interface CheckOptions {
  config?: string;
  dataDir?: string;
  at?: string;
  level?: string;
  json?: boolean;
}

/** `qrkiosk check PAYLOAD`: decode + lookup + decide, no hardware, nothing recorded. Exit 0 ALLOW, 1 otherwise, 2 usage. */
export async function checkCommand(payload: string, options: CheckOptions, lang: Lang): Promise<number> {
  const at = options.at ? new Date(options.at) : new Date();
  if (Number.isNaN(at.getTime())) {
    process.stderr.write(`--at: not an ISO-8601 time: ${options.at}\n`);
    return 2;
  }
  const level = options.level !== undefined ? Number(options.level) : undefined;
  if (level !== undefined && !(Number.isInteger(level) && level >= 1 && level <= 4)) {
    process.stderr.write(`--level: want 1, 2, 3 or 4: ${options.level}\n`);
    return 2;
  }
  const loaded = toolSettings(options, lang);
  if (!loaded) return 2;
  const controller = new Controller(loaded, {
    log: createLogger('silent'),
    withoutScanner: true,
    withoutUplink: true,
    withoutScreens: true,
    gpio: { name: 'none', open: async () => undefined, write: () => undefined, close: async () => undefined },
  });
  await controller.start();
  try {
    const { decoded, decision } = controller.evaluate(payload, at, level);
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({
          verdict: decision.verdict,
          colour: decision.colour,
          reason: { code: decision.reason.code, message: decision.reason.text[lang] },
          kind: decoded.kind,
        })}\n`,
      );
    } else {
      process.stdout.write(
        `${decision.verdict}  ${decision.colour ?? '—'}  ${decision.reason.text[lang]} (${decision.reason.code})\n`,
      );
    }
    return decision.verdict === 'ALLOW' ? 0 : 1;
  } finally {
    await controller.stop();
  }
}
