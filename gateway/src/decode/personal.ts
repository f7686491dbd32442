import { isoDate } from './dates.js';
import { type DecodeResult, failure } from './result.js';

/** QĐ 1405: SoGiayTo|HoTen|NgaySinh|LoaiDinhDanh|QID|EXT — NgaySinh is YYYY-MM-DD, parts may be starred. */
const BIRTH = /^(\d{4}|\*{4})-(\d{2}|\*{2})-(\d{2}|\*{2})$/;

export function looksLikePersonalQr(text: string): boolean {
  const fields = text.split('|');
  return fields.length >= 5 && BIRTH.test(fields[2]?.trim() ?? '') && /^\d+$/.test(fields[4]?.trim() ?? '');
}

/** Keeps what is known: `1990-08-**` → `1990-08`; a starred year means nothing is known. */
function knownBirth(field: string): string | null {
  const m = BIRTH.exec(field.trim());
  if (!m) return null;
  const [, y, mo, d] = m as unknown as [string, string, string, string];
  if (y.startsWith('*')) return null;
  if (mo.startsWith('*')) return y;
  if (d.startsWith('*')) return Number(mo) >= 1 && Number(mo) <= 12 ? `${y}-${mo}` : null;
  return isoDate(Number(y), Number(mo), Number(d));
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
  const [number, name, birth, , qid] = fields.map((f) => f.trim()) as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (!/^\**[0-9A-Z]+$/.test(number) || number.replace(/\*/g, '').length < 3)
    return failure('personal-qr', 'personal-number');
  const dob = knownBirth(birth);
  if (!dob) return failure('personal-qr', 'personal-date');
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
      dateOfBirth: dob,
      sex: sexFromExt(fields.slice(5).join('|')),
    },
    personal: { qid },
  };
}
