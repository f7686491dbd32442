import type { Direction } from '@qrkiosk/protocol';
import type { OccupancyNow } from './decide/occupancy-gate.js';
import type { Text } from './i18n.js';
import { hashIdentity } from './lookup/index.js';

/** A manual entry the reception page must correct; the text is shown as it is. */
export class ManualEntryError extends Error {
  constructor(readonly text: Text) {
    super(text.en);
  }
}

/** What a manual entry is checked against: the hash key, the duplicate window, the occupancy cap. */
export interface ManualEntryContext {
  hashKey: Buffer;
  /** The person was checked in within the duplicate window (the journal's lastRecent). */
  recent: (idHash: string) => boolean;
  /** The occupancy cap in force, if any. */
  maxInside: number | undefined;
  direction: Direction;
  occupancy: () => OccupancyNow;
}

/** A visitor's entry, cleaned: the name as shown (masked later), the phone as 0xxxxxxxxx, and its hash. */
export interface ManualEntry {
  name: string;
  digits: string;
  idHash: string;
}

/**
 * Reception's manual entry for a visitor without a code: a name and a Vietnamese phone number.
 * Throws ManualEntryError with a bilingual reason on bad input, on a visitor just checked in, and on
 * a full site (a form has nobody at the door for the guard to review, so it waits like a scan would).
 */
export function checkManualEntry(name: string, phone: string, ctx: ManualEntryContext): ManualEntry {
  const cleanName = name.normalize('NFC').trim().replace(/\s+/g, ' ');
  if (cleanName.length < 2 || cleanName.length > 100 || !/^[\p{L} .'-]+$/u.test(cleanName))
    throw new ManualEntryError({ vi: 'Họ tên không hợp lệ', en: 'Invalid name' });
  const digits = phone.replace(/[\s.-]/g, '').replace(/^\+84/, '0');
  if (!/^0\d{9,10}$/.test(digits))
    throw new ManualEntryError({ vi: 'Số điện thoại không hợp lệ', en: 'Invalid phone number' });
  const idHash = hashIdentity(ctx.hashKey, 'phone', digits).toString('hex');
  if (ctx.recent(idHash))
    throw new ManualEntryError({ vi: 'Khách này vừa được check-in', en: 'This visitor was just checked in' });
  const max = ctx.maxInside;
  if (max !== undefined && ctx.direction === 'in') {
    const { inside, unknown } = ctx.occupancy();
    if (unknown || inside >= max)
      throw new ManualEntryError({
        vi: unknown
          ? 'Không đếm được số người — báo kỹ thuật'
          : `Đã đủ số người (${inside}/${max}) — chờ người ra`,
        en: unknown
          ? 'Cannot count the people inside — call a technician'
          : `The site is full (${inside}/${max}) — wait for someone to leave`,
      });
  }
  return { name: cleanName, digits, idHash };
}
