import type { Text } from '../i18n.js';

/** Reception's manual entry on a verify-only site: a name and a phone written down are a register. */
export const verifyOnlyManualRefusal = (): Text => ({
  vi: 'Địa điểm chỉ kiểm tra, không lưu danh sách — không ghi tay được',
  en: 'This site verifies only and keeps no register — manual entry is not possible',
});
