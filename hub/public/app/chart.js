import { h } from './dom.js';

/** A "nice" top for the y axis: 1, 2 or 5 × a power of ten, at least max (and at least 4). */
export function niceTop(max) {
  const m = Math.max(4, max);
  const p = 10 ** Math.floor(Math.log10(m));
  return [1, 2, 5, 10].map((f) => f * p).find((v) => v >= m);
}

/**
 * Scans per Vietnam hour as 24 bars with a scale: y axis 0 / half / top, an hour under every bar
 * (bar i is the hour i:00–i:59, Vietnam time). Bars are sized through the CSSOM (CSP allows it).
 */
export function hourChart(ctx, hours) {
  const top = niceTop(Math.max(0, ...hours));
  const bars = h(
    'div',
    {
      class: 'bars',
      id: 'chart',
      role: 'img',
      'aria-label': ctx.t({ vi: 'Lượt quét theo giờ', en: 'Scans per hour' }),
    },
    hours.map((n, hour) => {
      const bar = h('div', { title: `${hour}h: ${n}`, dataset: { hour, n } });
      bar.style.height = `${(n / top) * 100}%`;
      return bar;
    }),
  );
  return h(
    'div',
    { class: 'chart' },
    h(
      'div',
      { class: 'yaxis' },
      h('span', {}, String(top)),
      h('span', {}, String(top / 2)),
      h('span', {}, '0'),
    ),
    bars,
    h(
      'div',
      { class: 'xaxis' },
      hours.map((_, hour) => h('span', {}, hour % 3 === 0 ? `${hour}h` : '')),
    ),
  );
}
