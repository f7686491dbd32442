import QRCode from 'qrcode';
import { formatVnDay } from './vn-time.js';

/**
 * Printable pass cards (issue #20): one A6 card per page, or a sheet of eight A7-sized cards on A4
 * (2 × 4, cut along the dashed lines). Here in protocol so the hub's print page and a kiosk's reception
 * print the same card from one renderer. Each card: the QR, the masked name, who issued it, the expiry
 * date and one line on how to use it, Vietnamese first with English in small type.
 *
 * The QR comes from the `qrcode` library as inline SVG (vector: sharp at any printer resolution, no
 * script in the page). Error-correction level Q (25 % of codewords recoverable): cheap thermal and
 * inkjet printers smear, cards get creased in wallets; H costs another version for little gain.
 * The symbol itself (without the quiet zone) is printed QR_MM wide: Hà Đông 2962/UBND-VHTT asks a
 * personal QR of at least 5×5 cm. The 4-module quiet zone ISO/IEC 18004 asks for is white around it.
 */
export const QR_MM = 52;
export const QUIET_MODULES = 4;
export const PASS_QR_LEVEL = 'Q' as const;

export interface PassCard {
  /** The signed token the QR carries (protocol's signPass). */
  token: string;
  passId: string;
  nameMasked: string;
  /** Who issued it, as a person reads it: the site's or the ward's name. */
  issuer: string;
  /** yyyy-MM-dd (Vietnam date), printed dd/MM/yyyy. */
  validUntil: string;
}

export type PassLayout = 'a6' | 'a4';

/** Text for HTML element content or a quoted attribute (the masked name and issuer come from people). */
const esc = (v: unknown): string =>
  String(v ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** The pass id in groups of four: read aloud over the phone when a card is lost and must be revoked. */
const grouped = (passId: string) => passId.replace(/(.{4})(?=.)/g, '$1 ');

/** The QR as SVG whose symbol is QR_MM wide, quiet zone included around it. */
async function qrSvg(token: string): Promise<string> {
  const modules = QRCode.create(token, { errorCorrectionLevel: PASS_QR_LEVEL }).modules.size;
  const mm = (QR_MM * (modules + 2 * QUIET_MODULES)) / modules;
  const svg = await QRCode.toString(token, {
    type: 'svg',
    errorCorrectionLevel: PASS_QR_LEVEL,
    margin: QUIET_MODULES,
  });
  // The library's SVG has a viewBox and no size: give it its printed size in millimetres.
  return svg.replace('<svg ', `<svg class="qr" width="${mm.toFixed(3)}mm" height="${mm.toFixed(3)}mm" `);
}

async function card(c: PassCard): Promise<string> {
  return `<section class="card">
  ${await qrSvg(c.token)}
  <div class="text">
    <p class="title">THẺ CHECK-IN <small>/ check-in pass</small></p>
    <p class="name">${esc(c.nameMasked || '—')}</p>
    <p>Nơi cấp <small>/ issued by</small>: <b>${esc(c.issuer)}</b></p>
    <p>Hết hạn <small>/ expires</small>: <b class="expiry">${esc(formatVnDay(c.validUntil))}</b></p>
    <p class="how">Đưa mã này vào máy quét ở cổng để check-in, không cần điện thoại. Mất thẻ: báo cán bộ phường/xã để khóa thẻ.
      <small>Hold this code to the scanner at the entrance to check in; no phone needed. Lost it? Tell the ward officer to block it.</small></p>
    <p class="id">Số thẻ <small>/ card no.</small>: ${esc(grouped(c.passId))}</p>
  </div>
</section>`;
}

/**
 * The page. `a6`: one card per A6 page, the QR above the text. `a4`: eight cards of 105 × 74.25 mm
 * per A4 page, the QR beside the text.
 */
export async function passCardsPage(cards: readonly PassCard[], layout: PassLayout): Promise<string> {
  const rendered = await Promise.all(cards.map(card));
  const a6 = layout === 'a6';
  // A4: eight cards to a sheet, each sheet its own page (a grid does not break pages by itself).
  const sheets: string[] = [];
  for (let i = 0; i < rendered.length; i += 8) sheets.push(rendered.slice(i, i + 8).join('\n'));
  const body = a6 ? rendered.join('\n') : sheets.map((s) => `<div class="sheet">\n${s}\n</div>`).join('\n');
  return `<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<title>Thẻ check-in / check-in passes (${cards.length})</title>
<style>
  @page { size: ${a6 ? '105mm 148mm' : '210mm 297mm'}; margin: 0; } /* in mm: Chromium's @page knows no A6 keyword */
  * { box-sizing: border-box; }
  body { font-family: "Noto Sans", "DejaVu Sans", system-ui, sans-serif; color: #000; background: #fff; margin: 0; }
  p { margin: 0 0 1.2mm; } small { color: #333; font-size: .8em; }
  .qr { flex: none; display: block; }
  .title { font-weight: bold; font-size: 9pt; } .name { font-size: 11pt; font-weight: bold; }
  .how { font-size: 7.5pt; } .id { font-size: 7pt; font-family: "DejaVu Sans Mono", monospace; }
  ${
    a6
      ? `.card { width: 105mm; height: 148mm; padding: 6mm; display: flex; flex-direction: column; align-items: center;
      break-after: page; overflow: hidden; font-size: 9pt; }
  .card:last-child { break-after: auto; } .text { width: 100%; margin-top: 2mm; }`
      : `.sheet { display: grid; grid-template-columns: 105mm 105mm; grid-auto-rows: 74.25mm; }
  .card { display: flex; align-items: center; gap: 1mm; padding: 2mm; overflow: hidden; font-size: 8pt;
      outline: 0.2mm dashed #999; outline-offset: -0.1mm; break-inside: avoid; }
  .sheet { height: 297mm; overflow: hidden; break-after: page; } .sheet:last-child { break-after: auto; }
  .text { flex: 1; min-width: 0; }
  .how { font-size: 6.5pt; }`
  }
</style></head>
<body>
${body}
</body></html>
`;
}
