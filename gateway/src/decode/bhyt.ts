import { isoDate, parseSlashDate } from './dates.js';
import { type DecodeResult, failure } from './result.js';

/**
 * Card numbers: the old 15-character one (2-letter group, benefit level, province, 10-digit BHXH
 * number), or, on the 2021 template, the 10-digit social-insurance (BHXH) number alone.
 */
const CARD_NUMBER = /^([A-Z]{2}\d{13}|\d{10})$/;

/** A card number, then a hex-encoded name: enough to call it BHYT (and to call a cut-off one truncated). */
export const looksLikeBhyt = (text: string): boolean =>
  /^([A-Z]{2}\d{13}|\d{10})\|[0-9a-fA-F]{4,}\|/.test(text);

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

function hexText(field: string): string | null {
  const hex = field.trim();
  if (hex === '-' || hex === '') return '';
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) return null;
  try {
    return STRICT_UTF8.decode(Buffer.from(hex, 'hex')).normalize('NFC');
  } catch {
    return null;
  }
}

/** Birth dates on BHYT cards are `dd/MM/yyyy`, or just `yyyy` when the day is not known. */
function birthDate(field: string): string | null {
  const v = field.trim();
  if (/^\d{4}$/.test(v)) return isoDate(Number(v), 1, 1) ? v : null;
  return parseSlashDate(v);
}

/**
 * 15-field card: number|name(hex)|birth|sex(1/2)|address(hex)|clinic|from|to|issued|mgmt|parent(hex)|
 * group|5-years date|check|$ .
 * 17-field 2021 template: the same first 14 fields with the 10-digit BHXH number first and `-` for the
 * address, then two more (the issuing office, hex) before `$`. Field 12 may carry a leading space.
 * `-` is an empty field everywhere; `valid to` `-` is an open-ended card. Fewer fields or no final `$`
 * means the scan was cut off.
 */
export function decodeBhyt(text: string): DecodeResult {
  const fields = text.trim().split('|');
  if (fields.length < 15 || fields[fields.length - 1]?.trim() !== '$') return failure('bhyt', 'bhyt-fields');
  const [card, nameHex, birth, sexField, , clinic, from, to] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!CARD_NUMBER.test(card)) return failure('bhyt', 'bhyt-card-number');
  const name = hexText(nameHex);
  if (name === null || name.trim() === '') return failure('bhyt', 'bhyt-hex');
  const dob = birthDate(birth);
  const validFrom = parseSlashDate(from);
  const validTo = to.trim() === '-' ? null : parseSlashDate(to);
  if (!dob || !validFrom || (to.trim() !== '-' && !validTo)) return failure('bhyt', 'bhyt-date');
  const sex = sexField.trim() === '1' ? 'M' : sexField.trim() === '2' ? 'F' : null;
  if (!sex) return failure('bhyt', 'bhyt-sex');
  return {
    kind: 'bhyt',
    ok: true,
    identity: {
      documentNumber: card,
      formerNumber: null,
      masked: false,
      name: name.trim(),
      dateOfBirth: dob,
      sex,
    },
    bhyt: { validFrom, validTo, clinic: clinic.trim() },
  };
}
