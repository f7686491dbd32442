import { makeTempDir } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';
import { Controller } from '../src/controller.js';
import { ManualEntryError } from '../src/manual-entry.js';
import { settingsFromText } from '../src/settings/index.js';
import { SimGpio } from '../src/signal/index.js';

describe('manual entry at reception', () => {
  it('checks in a visitor once, refuses a second submit within the duplicate window, and bad input', async () => {
    const loaded = settingsFromText(
      `kiosk: { id: k-1, site: s-1 }\ndata: { dir: "${makeTempDir('manual-')}" }\nlog: { level: silent }\n`,
      't',
      {},
    );
    const c = new Controller(loaded, {
      gpio: new SimGpio(),
      withoutScanner: true,
      withoutUplink: true,
      withoutScreens: true,
    });
    await c.start();
    try {
      const first = c.manualCheckin('Hoàng Thị Mai', '0912 345 678');
      expect(first.document).toMatchObject({
        kind: 'manual',
        numberMasked: '******5678',
        nameMasked: 'HOÀNG T** M**',
      });
      expect(() => c.manualCheckin('Hoàng Thị Mai', '+84912345678')).toThrow(ManualEntryError);
      expect(() => c.manualCheckin('X', '0912345678')).toThrow(/Invalid name/);
      expect(() => c.manualCheckin('Lê Văn B', '12')).toThrow(/Invalid phone/);
      expect(c.journal.pendingCount()).toBe(1);
    } finally {
      await c.stop();
    }
  });
});
