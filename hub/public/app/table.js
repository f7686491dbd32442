import { h } from './dom.js';

const collator = new Intl.Collator('vi', { numeric: true, sensitivity: 'base' });
const norm = (s) =>
  String(s ?? '')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase();

/** Compares sort values: numbers as numbers, text in Vietnamese order; null/'' always last. */
function compare(a, b) {
  const ea = a === null || a === undefined || a === '';
  const eb = b === null || b === undefined || b === '';
  if (ea || eb) return ea === eb ? 0 : ea ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return collator.compare(String(a), String(b));
}

/**
 * A sortable, searchable table in its own scrolling box.
 *   columns: [{ key, title: {vi,en}, sort?: (row) => value, cell: (row) => Node|string, class? }]
 *   rows; search?: (row) => text (a search box is shown; accents and case are ignored);
 *   empty?: {vi,en} (shown when there is nothing, or nothing matches); id?; rowAttrs?: (row) => attrs;
 *   initialSort?: { key, dir: 1|-1 }.
 * Clicking a heading sorts by it (again: reverse). The element's update(rows) keeps sort and search.
 */
export function table(ctx, options) {
  const { columns, search, id, rowAttrs } = options;
  let rows = options.rows ?? [];
  let sortKey = options.initialSort?.key ?? null;
  let dir = options.initialSort?.dir ?? 1;
  let query = '';
  const empty = options.empty ?? { vi: 'Không có dữ liệu.', en: 'Nothing to show.' };
  const noMatch = { vi: 'Không có dòng nào khớp với tìm kiếm.', en: 'No row matches the search.' };

  const tbody = h('tbody');
  const heads = columns.map((c) =>
    h(
      'th',
      { scope: 'col', dataset: { key: c.key }, class: c.class },
      h('button', { type: 'button', class: 'sort', onclick: () => sortBy(c.key) }, ctx.t(c.title)),
    ),
  );
  const tableEl = h('table', { id, class: 'data' }, h('thead', {}, h('tr', {}, heads)), tbody);
  const note = h('p', { class: 'empty', role: 'status' });
  const count = h('span', { class: 'count' });
  const box = h('div', { class: 'table-box' });
  if (search) {
    const input = h('input', {
      type: 'search',
      class: 'search',
      placeholder: ctx.t({ vi: 'Tìm…', en: 'Search…' }),
      'aria-label': ctx.t({ vi: 'Tìm trong bảng', en: 'Search the table' }),
      oninput: (e) => {
        query = norm(e.target.value.trim());
        draw();
      },
    });
    box.append(h('div', { class: 'table-tools' }, input, count));
  }
  box.append(h('div', { class: 'scroll' }, tableEl), note);

  function sortBy(key) {
    dir = sortKey === key ? -dir : 1;
    sortKey = key;
    draw();
  }
  const sortValue = (c, r) => {
    if (c.sort) return c.sort(r);
    const v = c.cell(r);
    return v instanceof Node ? v.textContent : v;
  };
  function draw() {
    let shown = query ? rows.filter((r) => norm(search(r)).includes(query)) : rows.slice();
    const col = columns.find((c) => c.key === sortKey);
    if (col) shown = shown.sort((a, b) => dir * compare(sortValue(col, a), sortValue(col, b)));
    for (const th of heads)
      th.setAttribute(
        'aria-sort',
        th.dataset.key === sortKey ? (dir > 0 ? 'ascending' : 'descending') : 'none',
      );
    tbody.replaceChildren(
      ...shown.map((r) =>
        h(
          'tr',
          rowAttrs ? rowAttrs(r) : {},
          columns.map((c) => h('td', { class: c.class }, c.cell(r))),
        ),
      ),
    );
    note.textContent = shown.length ? '' : ctx.t(rows.length ? noMatch : empty);
    note.hidden = shown.length > 0;
    count.textContent = query ? `${shown.length} / ${rows.length}` : String(rows.length);
  }
  box.update = (next) => {
    rows = next;
    draw();
  };
  draw();
  return box;
}
