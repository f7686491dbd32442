/**
 * Measuring the verdict page as rendered (screen-readable.test.ts): the mark's size, the headline's fit,
 * WCAG contrast of every text element against the colour actually behind it, and colour-blindness
 * simulation of screenshots. The colour maths lives here, in Node, apart from the page it checks.
 */
import type { Browser, Page } from 'playwright-core';

export interface Rgb {
  r: number;
  g: number;
  b: number;
}

export interface TextPair {
  what: string;
  text: string;
  fg: Rgb;
  bg: Rgb;
}

export interface PageMeasure {
  state: string;
  viewport: { width: number; height: number };
  markHeight: number;
  markRect: { x: number; y: number; width: number; height: number };
  markText: string;
  markClip: string;
  markRadius: string;
  bodyBorderImage: string;
  headline: { text: string; scrollWidth: number; clientWidth: number };
  /** main's content taller than main: something would be cut off at the bottom. */
  mainOverflow: number;
  pairs: TextPair[];
}

/**
 * Runs in the page (serialised by Playwright: self-contained, no imports). Each visible element with
 * its own text is paired with its computed colour and the composite of every background-color from
 * the root down to it (alpha over what is beneath, white under the root as a browser paints).
 */
export function measureInPage(): PageMeasure {
  const parse = (c: string) => {
    const n = (c.match(/[\d.]+/g) ?? ['0', '0', '0', '0']).map(Number);
    return { r: n[0] ?? 0, g: n[1] ?? 0, b: n[2] ?? 0, a: n.length > 3 ? (n[3] ?? 1) : 1 };
  };
  const behind = (el: Element) => {
    const chain: Element[] = [];
    for (let e: Element | null = el; e; e = e.parentElement) chain.unshift(e);
    let bg = { r: 255, g: 255, b: 255 };
    for (const e of chain) {
      const c = parse(getComputedStyle(e).backgroundColor);
      bg = {
        r: c.r * c.a + bg.r * (1 - c.a),
        g: c.g * c.a + bg.g * (1 - c.a),
        b: c.b * c.a + bg.b * (1 - c.a),
      };
    }
    return bg;
  };
  const pairs = [];
  for (const el of Array.from(document.body.querySelectorAll('*'))) {
    if (el.tagName === 'SCRIPT' || el.getClientRects().length === 0) continue;
    const own = Array.from(el.childNodes)
      .filter((n) => n.nodeType === Node.TEXT_NODE)
      .map((n) => n.textContent ?? '')
      .join('')
      .trim();
    if (!own) continue;
    const c = parse(getComputedStyle(el).color);
    pairs.push({
      what: el.id || el.tagName.toLowerCase(),
      text: own,
      fg: { r: c.r, g: c.g, b: c.b },
      bg: behind(el),
    });
  }
  const mark = document.getElementById('mark') as HTMLElement;
  const headline = document.getElementById('headline') as HTMLElement;
  const main = document.querySelector('main') as HTMLElement;
  const markStyle = getComputedStyle(mark);
  return {
    state: document.body.dataset.state ?? '',
    viewport: { width: innerWidth, height: innerHeight },
    markHeight: mark.getBoundingClientRect().height,
    markRect: (({ x, y, width, height }) => ({ x, y, width, height }))(mark.getBoundingClientRect()),
    markText: mark.textContent ?? '',
    markClip: markStyle.clipPath,
    markRadius: markStyle.borderTopLeftRadius,
    bodyBorderImage: getComputedStyle(document.body).borderImageSource,
    headline: {
      text: headline.textContent ?? '',
      scrollWidth: headline.scrollWidth,
      clientWidth: headline.clientWidth,
    },
    mainOverflow: main.scrollHeight - main.clientHeight,
    pairs,
  };
}

const linear = (c: number) => {
  const s = c / 255;
  return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
};

/** WCAG 2.x relative luminance of an sRGB colour (0–255 channels). */
export function luminance({ r, g, b }: Rgb): number {
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

/** WCAG contrast ratio, 1–21. */
export function contrast(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * Machado, Oliveira & Fernandes 2009 ("A physiologically-based model for simulation of color vision
 * deficiency"), severity 1.0, applied to linear RGB. Row-major 3×3.
 */
export const MACHADO = {
  deuteranopia: [0.367322, 0.860646, -0.227968, 0.280085, 0.672501, 0.047413, -0.01182, 0.04294, 0.968881],
  protanopia: [0.152286, 1.052583, -0.204868, 0.114503, 0.786281, 0.099216, -0.003882, -0.048116, 1.051998],
} as const;
export type Deficiency = keyof typeof MACHADO;

/** The matrix applied to one sRGB colour in Node: the check on the browser's filter. */
export function simulate(c: Rgb, kind: Deficiency): Rgb {
  const m = MACHADO[kind];
  const l = [linear(c.r), linear(c.g), linear(c.b)];
  const enc = (v: number) => {
    const x = Math.min(1, Math.max(0, v));
    return 255 * (x <= 0.0031308 ? 12.92 * x : 1.055 * x ** (1 / 2.4) - 0.055);
  };
  const row = (i: number) =>
    enc(
      (m[i * 3] ?? 0) * (l[0] ?? 0) + (m[i * 3 + 1] ?? 0) * (l[1] ?? 0) + (m[i * 3 + 2] ?? 0) * (l[2] ?? 0),
    );
  return { r: row(0), g: row(1), b: row(2) };
}

/** CIE L*a*b* (D65) of an sRGB colour. */
export function lab({ r, g, b }: Rgb): [number, number, number] {
  const [R, G, B] = [linear(r), linear(g), linear(b)];
  const f = (t: number) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
  const x = f((0.4124 * R + 0.3576 * G + 0.1805 * B) / 0.95047);
  const y = f(0.2126 * R + 0.7152 * G + 0.0722 * B);
  const z = f((0.0193 * R + 0.1192 * G + 0.9505 * B) / 1.08883);
  return [116 * y - 16, 500 * (x - y), 200 * (y - z)];
}

/** CIE76 colour difference: above ~10 two flat colours are plainly different. */
export function deltaE(a: Rgb, b: Rgb): number {
  const [p, q] = [lab(a), lab(b)];
  return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
}

/**
 * A screenshot with a deficiency simulated: the PNG drawn in a page through an SVG feColorMatrix
 * (color-interpolation-filters linearRGB, Machado's matrix), screenshotted again.
 */
export async function simulatePng(
  browser: Browser,
  png: Buffer,
  width: number,
  height: number,
  kind: Deficiency,
): Promise<Buffer> {
  const m = MACHADO[kind];
  const values = [0, 1, 2].map((i) => `${m[i * 3]} ${m[i * 3 + 1]} ${m[i * 3 + 2]} 0 0`).join(' ');
  const page = await browser.newPage({ viewport: { width, height } });
  try {
    await page.setContent(
      `<body style="margin:0"><svg width="0" height="0" style="position:absolute"><filter id="cvd" color-interpolation-filters="linearRGB"><feColorMatrix type="matrix" values="${values} 0 0 0 1 0"/></filter></svg><img id="shot" style="display:block;filter:url(#cvd)" src="data:image/png;base64,${png.toString('base64')}"></body>`,
    );
    await page.waitForFunction(() => (document.getElementById('shot') as HTMLImageElement).complete);
    return await page.screenshot({ type: 'png' });
  } finally {
    await page.close();
  }
}

/** The mean colour of a PNG's rectangle, read back through a canvas (no PNG decoder needed in Node). */
export async function meanColour(
  page: Page,
  png: Buffer,
  rect: { x: number; y: number; width: number; height: number },
): Promise<Rgb> {
  return page.evaluate(
    async ({ data, rect }) => {
      const img = new Image();
      img.src = `data:image/png;base64,${data}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
      ctx.drawImage(img, 0, 0);
      const px = ctx.getImageData(
        Math.round(rect.x),
        Math.round(rect.y),
        Math.round(rect.width),
        Math.round(rect.height),
      ).data;
      let [r, g, b] = [0, 0, 0];
      for (let i = 0; i < px.length; i += 4)
        [r, g, b] = [r + (px[i] ?? 0), g + (px[i + 1] ?? 0), b + (px[i + 2] ?? 0)];
      const n = px.length / 4;
      return { r: r / n, g: g / n, b: b / n };
    },
    { data: png.toString('base64'), rect },
  );
}
