import { decodePayload } from '../decode/index.js';
import type { Lang } from '../i18n.js';

/** `qrkiosk decode PAYLOAD` (first version; the decoding issue fixes the full contract). Exit 0 if ok, 1 if not. */
export function decodeCommand(payload: string, lang: Lang, json: boolean): number {
  const result = decodePayload(payload);
  if (json) {
    const { error, ...rest } = result;
    const out = error ? { ...rest, error: { code: error.code, message: error.message } } : rest;
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } else if (!result.ok) {
    process.stdout.write(`${result.kind}: ${result.error?.text[lang] ?? ''} (${result.error?.code})\n`);
  } else {
    const id = result.identity!;
    const labels =
      lang === 'vi'
        ? { n: 'Số giấy tờ', f: 'Số CMND cũ', name: 'Họ tên', dob: 'Ngày sinh', sex: 'Giới tính' }
        : { n: 'Document no.', f: 'Former ID', name: 'Name', dob: 'Date of birth', sex: 'Sex' };
    const lines = [
      `${result.kind}`,
      `  ${labels.n}: ${id.documentNumber}`,
      ...(id.formerNumber ? [`  ${labels.f}: ${id.formerNumber}`] : []),
      `  ${labels.name}: ${id.name}`,
      `  ${labels.dob}: ${id.dateOfBirth.split('-').reverse().join('/')}`,
      `  ${labels.sex}: ${id.sex ?? '?'}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return result.ok ? 0 : 1;
}
