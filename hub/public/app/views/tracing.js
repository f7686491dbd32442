// Truy vết: the places a person visited and who was there at the same time (masked), with CSV.
// Every error (no key, bad day, too long a range) comes back from the hub in both languages.
import { ApiError, statusText } from '../ctx.js';
import { dayField } from '../dayfield.js';
import { addDays, vnToday } from '../fmt.js';

const T = {
  title: { vi: 'Truy vết', en: 'Tracing' },
  heading: { vi: 'Truy vết tiếp xúc', en: 'Contact tracing' },
  type: { vi: 'Loại giấy tờ', en: 'Document type' },
  id: { vi: 'Số giấy tờ', en: 'Document number' },
  from: { vi: 'Từ ngày', en: 'From' },
  to: { vi: 'Đến ngày', en: 'To' },
  window: { vi: 'Khoảng thời gian (phút)', en: 'Window (minutes)' },
  minutes: { vi: 'phút', en: 'min' },
  button: { vi: 'Truy vết', en: 'Trace' },
  csv: { vi: 'Tải CSV', en: 'Download CSV' },
  placesVisited: { vi: 'Nơi đã đến', en: 'Places visited' },
  contacts: { vi: 'Người tiếp xúc', en: 'Co-visitors' },
  coVisitors: { vi: 'người cùng thời điểm', en: 'people there at the same time' },
  none: { vi: 'Không tìm thấy lượt check-in nào.', en: 'No check-ins found.' },
  badDay: { vi: 'Hãy nhập ngày theo dạng nn/tt/nnnn.', en: 'Type the days as dd/mm/yyyy.' },
  working: { vi: 'Đang tìm…', en: 'Searching…' },
};
const TYPES = [
  ['cccd', 'CCCD'],
  ['cmnd', 'CMND'],
  ['passport', 'Hộ chiếu / Passport'],
  ['qid', 'QID'],
  ['bhyt', 'BHYT'],
  ['bhxh', 'BHXH'],
  ['phone', 'ĐT / Phone'],
];

export const view = {
  id: 'tracing',
  title: T.title,
  roles: ['tracer'],
  render(root, ctx) {
    const { h } = ctx;
    const today = vnToday();
    const type = h(
      'select',
      { id: 'traceType', 'aria-label': ctx.t(T.type) },
      TYPES.map(([v, n]) => h('option', { value: v }, n)),
    );
    const id = h('input', {
      id: 'traceId',
      required: true,
      placeholder: '079…',
      autocomplete: 'off',
      'aria-label': ctx.t(T.id),
    });
    const from = dayField(ctx, { id: 'traceFrom', value: addDays(today, -14), label: T.from });
    const to = dayField(ctx, { id: 'traceTo', value: today, label: T.to });
    const win = h('input', {
      id: 'traceWindow',
      type: 'number',
      value: '30',
      min: '1',
      max: '720',
      class: 'short',
      'aria-label': ctx.t(T.window),
    });
    const result = h('div', { id: 'traceResult', role: 'status' });
    let query = null;
    const download = async () => {
      try {
        const r = await fetch('/api/trace', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': ctx.csrf },
          body: JSON.stringify({ ...query, format: 'csv' }),
        });
        if (!r.ok) {
          // A 401 goes back to the login form as every call does (a GET that audits nothing, never the
          // trace again: each trace is audited). Any other refusal: the hub's own words from this answer.
          if (r.status === 401) return void (await ctx.api('/api/me'));
          const body = await r.json().catch(() => null);
          throw body?.error?.vi
            ? new ApiError(r.status, body.error, true)
            : new ApiError(r.status, statusText(r.status));
        }
        const a = h('a', {
          href: URL.createObjectURL(await r.blob()),
          download: `qrkiosk-trace-${query.from}-${query.to}.csv`,
        });
        a.click();
      } catch (err) {
        if (err.status !== 401) result.prepend(h('p', { class: 'error' }, ctx.errorText(err)));
      }
    };
    const submit = async (e) => {
      e.preventDefault();
      if (!from.day || !to.day) {
        result.replaceChildren(h('p', { class: 'error' }, ctx.t(T.badDay)));
        return;
      }
      query = { type: type.value, id: id.value, from: from.day, to: to.day, window: Number(win.value) };
      result.replaceChildren(h('p', { class: 'muted' }, ctx.t(T.working)));
      let r;
      try {
        r = await ctx.api('/api/trace', { method: 'POST', body: query });
      } catch (err) {
        if (err.status !== 401)
          result.replaceChildren(h('p', { class: 'error', role: 'alert' }, ctx.errorText(err)));
        return;
      }
      if (r.visits.length === 0) {
        result.replaceChildren(h('p', { class: 'empty' }, ctx.t(T.none)));
        return;
      }
      result.replaceChildren(
        h(
          'p',
          { id: 'traceSummary' },
          `${ctx.t(T.placesVisited)}: ${r.visits.length} · ${ctx.t(T.contacts)}: ${r.coVisitors} `,
          h('button', { type: 'button', id: 'traceCsv', onclick: download }, ctx.t(T.csv)),
        ),
        h(
          'ul',
          { class: 'visits' },
          r.visits.map((v) =>
            h(
              'li',
              { class: 'visit' },
              `${v.at} — ${ctx.siteName(v.site)} (${v.site}/${v.kiosk}): ${v.coVisitors.length} ${ctx.t(T.coVisitors)}`,
              h(
                'ul',
                {},
                v.coVisitors.map((c) => h('li', { class: 'covisitor' }, `${c.at} ${c.name} ${c.number}`)),
              ),
            ),
          ),
        ),
      );
    };
    const label = (forId, text) => h('label', { for: forId }, ctx.t(text));
    root.append(
      h(
        'section',
        { class: 'card fill' },
        h('h2', {}, ctx.t(T.heading)),
        h(
          'form',
          { id: 'traceForm', class: 'inline', onsubmit: submit },
          type,
          id,
          label('traceFrom', T.from),
          from,
          label('traceTo', T.to),
          to,
          win,
          h('span', {}, ctx.t(T.minutes)),
          h('button', { type: 'submit' }, ctx.t(T.button)),
        ),
        h('div', { class: 'scroll' }, result),
      ),
    );
  },
};
