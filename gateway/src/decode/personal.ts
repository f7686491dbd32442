import { looksLikeBhyt } from './bhyt.js';
import { isoDate } from './dates.js';
import { type BirthParts, type DecodeResult, failure } from './result.js';

/**
 * QĐ 1405: SoGiayTo|HoTen|NgaySinh|LoaiDinhDanh|QID|EXT. NgaySinh is YYYY-MM-DD; apps also print
 * dd/MM/yyyy (or dd-MM-yyyy, dd.MM.yyyy). Any part may be starred out, wholly or partly (`****-**-12`, `19**`; or only the day shown).
 */
const ISO_BIRTH = /^([\d*]{4})-([\d*]{2})-([\d*]{2})$/;
/** Day first, as apps print it: dd/MM/yyyy, also with `-` or `.` between the parts. */
const DMY_BIRTH = /^([\d*]{1,2})([/.-])([\d*]{1,2})\2([\d*]{2,4})$/;

function birthShape(field: string): { year: string; month: string; day: string } | null {
  const iso = ISO_BIRTH.exec(field);
  if (iso) return { year: iso[1] as string, month: iso[2] as string, day: iso[3] as string };
  const dmy = DMY_BIRTH.exec(field);
  if (dmy) return { year: dmy[4] as string, month: dmy[3] as string, day: dmy[1] as string };
  return null;
}

/**
 * The parts shown, or null when the field is not a birth date or a shown part is impossible
 * (month 13, 30 February, a 2-digit year). A starred part is hidden, never an error.
 */
export function birthParts(field: string): BirthParts | null {
  const shape = birthShape(field.trim());
  if (!shape) return null;
  const part = (s: string) => (s.includes('*') ? null : Number(s));
  const [year, month, day] = [part(shape.year), part(shape.month), part(shape.day)];
  if (year !== null && shape.year.length !== 4) return null;
  // Check the shown parts against a calendar: a leap year stands in for a hidden year, January for a hidden month.
  if (!isoDate(year ?? 2000, month ?? 1, day ?? 1)) return null;
  return { year, month, day };
}

export function looksLikePersonalQr(text: string): boolean {
  const fields = text.split('|');
  if (fields.length < 5 || !/^\d+$/.test(fields[4]?.trim() ?? '')) return false;
  const birth = fields[2]?.trim() ?? '';
  if (ISO_BIRTH.test(birth)) return true;
  // dd/MM/yyyy is also how BHYT cards and the app-rendered CCCD write a birth date: claim it only with
  // a QĐ 1405 LoaiDinhDanh (0 or 1) and nothing that reads as a BHYT card.
  return DMY_BIRTH.test(birth) && /^[01]$/.test(fields[3]?.trim() ?? '') && !looksLikeBhyt(text);
}

/** Keeps what is known: year and month → `YYYY-MM`; a hidden year → null (the rest stays in `birth`). */
function dateOfBirth(b: BirthParts): string | null {
  if (b.year === null) return null;
  if (b.month === null) return String(b.year);
  if (b.day === null) return `${b.year}-${String(b.month).padStart(2, '0')}`;
  return isoDate(b.year, b.month, b.day);
}

function sexFromExt(ext: string): 'M' | 'F' | null {
  // EXT order varies between sources; the sex sub-field, when present, is a lone 1/0 or Nam/Nữ.
  for (const part of ext.split('<').map((p) => p.trim().normalize('NFC').toLocaleLowerCase('vi'))) {
    if (part === 'nam') return 'M';
    if (part === 'nữ' || part === 'nu') return 'F';
  }
  return null;
}

export function decodePersonalQr(text: string): DecodeResult {
  const fields = text.split('|');
  if (fields.length < 5) return failure('personal-qr', 'personal-fields');
  const [number, name, birthField, , qid] = fields.map((f) => f.trim()) as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (!/^\**[0-9A-Z]+$/.test(number) || number.replace(/\*/g, '').length < 3)
    return failure('personal-qr', 'personal-number');
  const birth = birthParts(birthField);
  if (!birth) return failure('personal-qr', 'personal-date');
  if (!/^\d{6,32}$/.test(qid)) return failure('personal-qr', 'personal-qid');
  if (name === '') return failure('personal-qr', 'personal-fields');
  return {
    kind: 'personal-qr',
    ok: true,
    identity: {
      documentNumber: number,
      formerNumber: null,
      masked: number.includes('*'),
      name: name.replace(/\s+/g, ' '),
      dateOfBirth: dateOfBirth(birth),
      sex: sexFromExt(fields.slice(5).join('|')),
    },
    personal: { qid, birth },
  };
}
