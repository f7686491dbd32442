import type { Text } from '../i18n.js';
import { describePattern, type Pattern, type PatternName } from './patterns.js';

/**
 * The guard guide's lights-and-sounds table (docs/guard-guide.md), generated from the patterns so the
 * guide cannot promise a guard what the kiosk does not play. `npm run guard-guide` rewrites it between
 * its markers; gateway/test/signal.test.ts fails when the file and this disagree.
 */
interface Row {
  verdict: Text;
  /** NONE: the screen's own watchdog; a daemon that does not answer plays nothing. */
  pattern: PatternName | 'NONE';
  /** A repeat plays its verdict's pattern without the relay (door/index.ts). */
  repeat?: boolean;
  action: Text;
}

const ROWS: Row[] = [
  {
    verdict: { vi: '**ĐƯỢC VÀO**', en: '**ADMITTED**' },
    pattern: 'ALLOW',
    action: { vi: 'mời vào', en: 'let them in' },
  },
  {
    verdict: { vi: '**KHÔNG ĐƯỢC VÀO**', en: '**NOT ADMITTED**' },
    pattern: 'REFUSE',
    action: {
      vi: 'không cho vào, mời khách đến bàn kiểm tra y tế; lý do cụ thể chỉ có trên trang lễ tân',
      en: 'do not let them in; send them to the health check desk; the specific reason is on the reception page only',
    },
  },
  {
    verdict: { vi: '**KIỂM TRA GIẤY TỜ**', en: '**CHECK DOCUMENTS**' },
    pattern: 'REVIEW',
    action: {
      vi: 'xem màn hình để biết lý do (chưa có dữ liệu, mã địa điểm, mã hỏng…) và kiểm tra giấy tờ',
      en: 'read the reason on the screen (no data, a place’s code, a damaged code…) and check documents',
    },
  },
  {
    verdict: { vi: '**ĐÃ CHECK-IN** (lần trước được vào)', en: '**ALREADY CHECKED IN** (admitted before)' },
    pattern: 'ALREADY',
    repeat: true,
    action: {
      vi: 'khách vừa quét và đã được vào; không ghi thêm lần nữa, cửa không mở lại',
      en: 'they just scanned and were admitted; nothing new is recorded, the door does not open again',
    },
  },
  {
    verdict: {
      vi: '**KHÔNG ĐƯỢC VÀO** — "đã quét lúc HH:mm — vẫn KHÔNG ĐƯỢC VÀO"',
      en: '**NOT ADMITTED** — "scanned at HH:mm — still NOT ADMITTED"',
    },
    pattern: 'REFUSE',
    repeat: true,
    action: {
      vi: 'người vừa bị từ chối quét lại: vẫn không cho vào',
      en: 'someone just refused scanned again: still do not let them in',
    },
  },
  {
    verdict: {
      vi: '**KIỂM TRA GIẤY TỜ** — "đã quét lúc HH:mm — vẫn KIỂM TRA GIẤY TỜ"',
      en: '**CHECK DOCUMENTS** — "scanned at HH:mm — still CHECK DOCUMENTS"',
    },
    pattern: 'REVIEW',
    repeat: true,
    action: { vi: 'vẫn kiểm tra giấy tờ', en: 'still check documents' },
  },
  {
    verdict: {
      vi: '**KIỂM TRA GIẤY TỜ** — "Đã đủ số người (50/50) — chờ người ra"',
      en: '**CHECK DOCUMENTS** — "The site is full (50/50) — wait for someone to leave"',
    },
    pattern: 'REVIEW',
    action: {
      vi: 'địa điểm đã đủ số người theo cấp độ dịch: mời khách chờ đến khi có người ra (lễ tân bấm **Đã ra**, hoặc qua cửa ra); chỉ bấm CHO VÀO khi được phép vượt giới hạn (người đó được tính vào)',
      en: 'the site holds as many people as its level allows: ask them to wait until someone leaves (reception presses **Left**, or the exit kiosk); press LET IN only when allowed past the limit (they are counted in)',
    },
  },
  {
    verdict: {
      vi: 'Bảo vệ bấm nút **CHO VÀO** sau KIỂM TRA',
      en: 'Guard presses **LET IN** after CHECK DOCUMENTS',
    },
    pattern: 'ADMIT',
    action: {
      vi: 'đã kiểm tra giấy tờ: cửa mở một lần; được ghi lại và gửi về trung tâm',
      en: 'papers checked: the door opens once; recorded and sent to the health office',
    },
  },
  {
    verdict: { vi: 'Bảo vệ bấm nút **KHÔNG CHO VÀO**', en: 'Guard presses **REFUSE**' },
    pattern: 'DENY',
    action: {
      vi: 'cửa không mở; được ghi lại và gửi về trung tâm',
      en: 'the door stays shut; recorded and sent to the health office',
    },
  },
  {
    verdict: { vi: 'Màn hình "Mất máy quét"', en: 'Screen "Scanner lost"' },
    pattern: 'SCANNER_LOST',
    action: {
      vi: 'kiểm tra dây cắm máy quét; kiosk tự kết nối lại khi cắm lại; không được thì báo kỹ thuật và kiểm tra giấy tờ bằng tay',
      en: 'check the scanner’s cable; the kiosk reconnects by itself; if not, call a technician and check documents by hand',
    },
  },
  // Fault screens (faults.ts GUARD_FAULTS): the same instruction as the screen's line (verdict.html), with why.
  {
    verdict: { vi: 'Màn hình "Không ghi được nhật ký"', en: 'Screen "Cannot record check-ins"' },
    pattern: 'FAULT',
    action: {
      vi: 'kiosk không mở cửa cho ai: kiểm tra giấy tờ bằng tay, báo kỹ thuật',
      en: 'the kiosk opens the door for no one: check documents by hand, call a technician',
    },
  },
  {
    verdict: { vi: 'Màn hình "Đồng hồ chưa đồng bộ"', en: 'Screen "Clock not synchronised"' },
    pattern: 'FAULT',
    action: {
      vi: 'kiosk không tự cho vào theo ngày tiêm/xét nghiệm: kiểm tra giấy tờ; quá 10 phút thì báo kỹ thuật',
      en: 'the kiosk admits no one by dates: check documents; over 10 minutes, call a technician',
    },
  },
  {
    verdict: { vi: 'Màn hình "Dữ liệu quá cũ"', en: 'Screen "Data too old"' },
    pattern: 'FAULT',
    action: {
      vi: 'kiosk mất liên lạc với trung tâm quá lâu, không tự cho vào: quét mã rồi kiểm tra giấy tờ; báo kỹ thuật',
      en: 'the kiosk has been cut off from the health office too long and admits no one by itself: scan, then check documents; call a technician',
    },
  },
  {
    verdict: { vi: 'Màn hình "Sắp đầy bộ nhớ"', en: 'Screen "Disk almost full"' },
    pattern: 'FAULT',
    action: {
      vi: 'vẫn quét bình thường; báo kỹ thuật hôm nay, trước khi kiosk ngừng ghi',
      en: 'keep scanning; call a technician today, before the kiosk stops recording',
    },
  },
  {
    verdict: { vi: 'Màn hình "Phần mềm kiosk không phản hồi"', en: 'Screen "Kiosk software not answering"' },
    pattern: 'NONE',
    action: {
      vi: 'kiosk không quyết định được gì: kiểm tra giấy tờ bằng tay, báo kỹ thuật',
      en: 'the kiosk decides nothing: check documents by hand, call a technician',
    },
  },
];

/** What a dead daemon plays: nothing, so the table says so rather than leave the cell empty. */
const SILENT: Text = { vi: 'đèn, còi im lặng', en: 'lights and buzzer silent' };

const HEADERS: Record<'vi' | 'en', string> = {
  vi: '| Kết quả | Đèn và còi | Bảo vệ làm gì |',
  en: '| Verdict | Lights and sound | What the guard does |',
};

/** The table in one language, as it stands in docs/guard-guide.md. */
export function guardGuideTable(patterns: Record<PatternName, Pattern>, lang: 'vi' | 'en'): string {
  const lines = [HEADERS[lang], '| --- | --- | --- |'];
  for (const row of ROWS) {
    if (row.pattern === 'NONE') {
      lines.push(`| ${row.verdict[lang]} | ${SILENT[lang]} | ${row.action[lang]} |`);
      continue;
    }
    const { relay: _relay, ...withoutRelay } = patterns[row.pattern];
    const played = row.repeat ? withoutRelay : patterns[row.pattern];
    lines.push(`| ${row.verdict[lang]} | ${describePattern(played, lang)} | ${row.action[lang]} |`);
  }
  return lines.join('\n');
}

/** Replaces the text between `<!-- table:LANG -->` and `<!-- /table -->` with the generated table. */
export function withGuardGuideTables(guide: string, patterns: Record<PatternName, Pattern>): string {
  let out = guide;
  for (const lang of ['vi', 'en'] as const) {
    const open = `<!-- table:${lang} -->`;
    const start = out.indexOf(open);
    const end = out.indexOf('<!-- /table -->', start);
    if (start < 0 || end < 0) throw new Error(`docs/guard-guide.md has no ${open} … <!-- /table --> markers`);
    out = `${out.slice(0, start + open.length)}\n${guardGuideTable(patterns, lang)}\n${out.slice(end)}`;
  }
  return out;
}
