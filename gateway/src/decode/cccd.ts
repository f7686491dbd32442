import { parseDdmmyyyy, parseSlashDate } from './dates.js';
import { type DecodeResult, failure } from './result.js';

/**
 * A CCCD payload starts with the 12-digit number and a `|`. A number one digit short or long (11 or 13:
 * a mistyped or re-typed card, a scanner that dropped a digit) still makes a CCCD — an invalid one, so
 * the screen says "invalid CCCD number", not "unknown code" — but only when the rest of the line has
 * the CCCD's date and sex fields where the card puts them.
 */
export function looksLikeCccd(text: string): boolean {
  if (/^\d{12}\|/.test(text)) return true;
  return /^(\d{11}|\d{13})\|/.test(text) && hasCccdShape(text.split('|'));
}

function hasCccdShape(f: string[]): boolean {
  const at = (i: number) => (f[i] ?? '').trim();
  if (f.length >= 7)
    return (
      /^(\d{9}|\d{12})?$/.test(at(1)) &&
      parseDdmmyyyy(at(3)) !== null &&
      parseSex(at(4)) !== null &&
      parseDdmmyyyy(at(6)) !== null
    );
  if (f.length === 6)
    return parseSlashDate(at(2)) !== null && parseSex(at(3)) !== null && parseSlashDate(at(5)) !== null;
  return false;
}

function parseSex(field: string): 'M' | 'F' | null {
  const v = field.trim().normalize('NFC').toLocaleLowerCase('vi');
  if (v === 'nam') return 'M';
  if (v === 'nữ' || v === 'nu') return 'F';
  return null;
}

/**
 * Circular 07/2016/TT-BCA: digit 4 encodes sex and century (0/1 → 1900s male/female, 2/3 → 2000s, …),
 * digits 5–6 the last two digits of the birth year. A disagreement means a mistyped or forged code.
 */
function numberAgrees(number: string, dateOfBirth: string, sex: 'M' | 'F'): boolean {
  const code = Number(number[3]);
  const century = 1900 + 100 * Math.floor(code / 2);
  const year = century + Number(number.slice(4, 6));
  const numberSex = code % 2 === 0 ? 'M' : 'F';
  return year === Number(dateOfBirth.slice(0, 4)) && numberSex === sex;
}

/**
 * Layouts seen in the field:
 *  - 7 fields: number|CMND|name|ddmmyyyy|sex|address|ddmmyyyy (the card itself; CMND may be empty)
 *  - 7+ fields: cards from 2024 append empty fields, ignored
 *  - 6 fields: apps (Zalo) re-render without CMND and with dd/MM/yyyy dates
 */
export function decodeCccd(text: string): DecodeResult {
  const fields = text.split('|');
  let number: string;
  let former: string;
  let name: string;
  let dob: string | null;
  let sexField: string;
  let address: string;
  let issued: string | null;
  if (fields.length >= 7) {
    [number, former, name, , sexField, address] = fields as [string, string, string, string, string, string];
    dob = parseDdmmyyyy(fields[3] ?? '');
    issued = parseDdmmyyyy(fields[6] ?? '');
  } else if (fields.length === 6) {
    [number, name, , sexField, address] = fields as [string, string, string, string, string];
    former = '';
    dob = parseSlashDate(fields[2] ?? '');
    issued = parseSlashDate(fields[5] ?? '');
  } else {
    return failure('cccd', 'cccd-fields');
  }
  if (!/^\d{12}$/.test(number)) return failure('cccd', 'cccd-number');
  const formerNumber = former.trim();
  if (formerNumber !== '' && !/^(\d{9}|\d{12})$/.test(formerNumber))
    return failure('cccd', 'cccd-former-number');
  const cleanName = name.trim().replace(/\s+/g, ' ');
  if (cleanName === '') return failure('cccd', 'cccd-name');
  if (!dob || !issued || issued < dob) return failure('cccd', 'cccd-date');
  const sex = parseSex(sexField);
  if (!sex) return failure('cccd', 'cccd-sex');
  if (!numberAgrees(number, dob, sex)) return failure('cccd', 'cccd-mismatch');
  return {
    kind: 'cccd',
    ok: true,
    identity: {
      documentNumber: number,
      formerNumber: formerNumber === '' ? null : formerNumber,
      masked: false,
      name: cleanName,
      dateOfBirth: dob,
      sex,
    },
    cccd: { issueDate: issued, address: address.trim() },
  };
}
