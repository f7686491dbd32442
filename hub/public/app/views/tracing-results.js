// A trace's answer (schema qrkiosk.trace/1, POST /api/trace): a summary line that counts people and
// check-ins apart, the case's visits and the people met (F1, F2) as two sortable tables, and the
// CSV / print buttons. Identities appear only when the hub revealed them for this answer.

export const T = {
  visits: { vi: 'Lượt đến', en: 'Visits' },
  f1: { vi: 'F1', en: 'F1' },
  f2: { vi: 'F2', en: 'F2' },
  people: { vi: 'người', en: 'people' },
  person: { vi: 'người', en: 'person' },
  checkins: { vi: 'lượt check-in', en: 'check-ins' },
  checkin: { vi: 'lượt check-in', en: 'check-in' },
  revealed: { vi: 'Danh tính đã mở', en: 'Identities revealed' },
  masked: { vi: 'Danh tính ẩn (che)', en: 'Identities masked' },
  truncated: {
    vi: 'Kết quả F2 đã bị giới hạn; hãy thu hẹp khoảng ngày.',
    en: 'The F2 result was cut at its limit; narrow the period.',
  },
  none: {
    vi: 'Không tìm thấy lượt check-in nào của giấy tờ này trong khoảng ngày đã chọn.',
    en: 'No check-ins of this document in the chosen period.',
  },
  verifyOnly: {
    vi: 'Địa điểm chỉ kiểm tra, không lưu danh sách — không thể truy vết tại đó:',
    en: 'Verify-only sites keep no register — tracing is impossible there:',
  },
  csv: { vi: 'Tải CSV', en: 'Download CSV' },
  print: { vi: 'In danh sách F1', en: 'Print F1 list' },
  visitsTitle: { vi: 'Nơi đã đến', en: 'Places visited' },
  peopleTitle: { vi: 'Người tiếp xúc', en: 'Contacts' },
  at: { vi: 'Thời gian', en: 'Time' },
  site: { vi: 'Địa điểm', en: 'Site' },
  kiosk: { vi: 'Kiosk', en: 'Kiosk' },
  document: { vi: 'Giấy tờ', en: 'Document' },
  coVisitors: { vi: 'Người cùng lúc', en: 'Co-visitors' },
  notEntered: { vi: 'không vào', en: 'did not enter' },
  ref: { vi: 'Mã', en: 'Ref' },
  level: { vi: 'Mức', en: 'Level' },
  documents: { vi: 'Giấy tờ (che)', en: 'Documents (masked)' },
  number: { vi: 'Số giấy tờ', en: 'Number' },
  name: { vi: 'Họ tên', en: 'Name' },
  dob: { vi: 'Ngày sinh', en: 'Born' },
  phone: { vi: 'Điện thoại', en: 'Phone' },
  contacts: { vi: 'Số lần tiếp xúc', en: 'Contacts' },
  overlap: { vi: 'Phút trùng', en: 'Overlap (min)' },
  sites: { vi: 'Nơi tiếp xúc', en: 'Where' },
  via: { vi: 'qua', en: 'via' },
  unopened: { vi: 'hộp chưa mở', en: 'not opened' },
  noPeople: { vi: 'Không có ai ở cùng lúc.', en: 'Nobody was there at the same time.' },
  ranBy: { vi: 'Người tra', en: 'Run by' },
  query: { vi: 'Tra theo', en: 'Traced by' },
  // The hub counts every hash its walk followed, a person node of an import included: not documents.
  linked: { vi: 'mã liên kết đã dò', en: 'linked identifiers followed' },
};
const KINDS = {
  cccd: 'CCCD',
  bhyt: 'BHYT',
  'personal-qr': 'QR',
  manual: { vi: 'Nhập tay', en: 'Manual' },
  dcc: 'DCC',
  unknown: { vi: 'Khác', en: 'Other' },
};
const kindText = (ctx, kind) => ctx.t(KINDS[kind] ?? kind);
/** The distinct site names of a person's contacts, in the order met. */
const sitesOf = (p) => [...new Set((p.contacts ?? []).map((c) => c.siteName || c.site))];

/**
 * The answer as nodes. `exports.csv()` downloads the CSV; `exports.print(w)` fills the window `w`
 * (opened here, inside the click, so no pop-up blocker stops it) with the printable F1 list.
 */
export function resultsView(ctx, r, exports) {
  const { h } = ctx;
  // Sites that only counted scans in the period (issue #19): the case may have been there unseen.
  const blind = r.verifyOnlySites?.length
    ? h(
        'p',
        { class: 'error', role: 'note', id: 'traceVerifyOnly' },
        `${ctx.t(T.verifyOnly)} ${r.verifyOnlySites.map((s) => (r.verifyOnlySiteNames?.[s] ? `${r.verifyOnlySiteNames[s]} (${s})` : s)).join(', ')}`,
      )
    : null;
  if (!r.visits?.length)
    return h('div', {}, h('p', { class: 'empty', id: 'traceEmpty' }, ctx.t(T.none)), blind);
  const c = r.counts;
  // English says "1 person", "1 check-in"; Vietnamese has one form.
  const n = (count, many, one) => `${count} ${ctx.t(count === 1 ? one : many)}`;
  const exportError = h('p', { class: 'error', role: 'alert', id: 'traceExportError' });
  /** Runs an export with its button disabled meanwhile; a refusal is shown under the summary. */
  const exporting = (run) => async (e) => {
    const button = e.currentTarget;
    button.disabled = true;
    exportError.textContent = '';
    try {
      await run();
    } catch (err) {
      if (err.status !== 401) exportError.textContent = ctx.errorText(err);
    } finally {
      button.disabled = false;
    }
  };
  const summary = h(
    'p',
    { id: 'traceSummary', class: 'summary' },
    h('span', {}, `${ctx.t(T.visits)}: `, h('b', {}, String(c.visits))),
    h(
      'span',
      {},
      `${ctx.t(T.f1)}: `,
      h('b', {}, n(c.f1People, T.people, T.person)),
      ` (${n(c.f1Checkins, T.checkins, T.checkin)})`,
    ),
    r.query?.f2
      ? h(
          'span',
          {},
          `${ctx.t(T.f2)}: `,
          h('b', {}, n(c.f2People, T.people, T.person)),
          ` (${n(c.f2Checkins, T.checkins, T.checkin)})`,
        )
      : null,
    h(
      'span',
      { class: r.revealed ? 'badge warn' : 'badge masked', id: 'traceRevealed' },
      ctx.t(r.revealed ? T.revealed : T.masked),
    ),
    h(
      'span',
      { class: 'actions' },
      h('button', { type: 'button', id: 'traceCsv', onclick: exporting(exports.csv) }, ctx.t(T.csv)),
      h(
        'button',
        {
          type: 'button',
          id: 'tracePrint',
          // Opened now, while the click still counts as the officer's: after the hub's answer a
          // browser may take the window for a pop-up and block it.
          onclick: (e) => {
            const w = window.open('', '_blank');
            return exporting(() => exports.print(w))(e);
          },
        },
        ctx.t(T.print),
      ),
    ),
  );
  const q = r.query ?? {};
  const notes = h(
    'p',
    { class: 'muted', id: 'traceQuery' },
    [
      // One person across documents: how many linked documents' visits were followed.
      `${ctx.t(T.query)}: ${q.type?.toUpperCase() ?? ''} ${q.idMasked ?? ''}${r.identities > 1 ? ` (${r.identities} ${ctx.t(T.linked)})` : ''}`,
      `${ctx.fmtDate(q.from)} – ${ctx.fmtDate(q.to)}`,
      `± ${q.window} ${ctx.t({ vi: 'phút', en: 'min' })}`,
      r.case ? `${ctx.t({ vi: 'Ca', en: 'Case' })} ${r.case}` : '',
      r.ranBy ? `${ctx.t(T.ranBy)} ${r.ranBy} ${ctx.fmtDateTime(r.ranAt)}` : '',
    ]
      .filter(Boolean)
      .join(' · '),
  );
  const warn = r.limits?.truncated ? h('p', { class: 'error', role: 'alert' }, ctx.t(T.truncated)) : null;
  return h(
    'div',
    { class: 'trace-tables' },
    summary,
    notes,
    exportError,
    warn,
    blind,
    half(ctx, T.visitsTitle, visitsTable(ctx, r.visits), 'visits'),
    half(ctx, T.peopleTitle, peopleTable(ctx, r.people ?? [], r.revealed), 'people'),
  );
}

/** A table under its heading, put on the line of the table's search box (the height is short). */
function half(ctx, title, box, name) {
  box.querySelector('.table-tools').prepend(ctx.h('h3', {}, ctx.t(title)));
  return ctx.h('div', { class: `trace-half ${name}` }, box);
}

function visitsTable(ctx, visits) {
  const { h } = ctx;
  return ctx.table({
    id: 'traceVisits',
    rows: visits,
    initialSort: { key: 'at', dir: 1 },
    search: (v) => `${v.siteName} ${v.siteAddress} ${v.site} ${v.kiosk} ${v.numberMasked}`,
    columns: [
      { key: 'at', title: T.at, sort: (v) => Date.parse(v.at), cell: (v) => ctx.fmtDateTime(v.at) },
      {
        key: 'site',
        title: T.site,
        class: 'wrap',
        sort: (v) => v.siteName || v.site,
        cell: (v) =>
          h(
            'span',
            { title: v.site },
            h('b', {}, v.siteName || ctx.siteName(v.site)),
            v.siteAddress ? h('span', { class: 'muted' }, ` — ${v.siteAddress}`) : null,
          ),
      },
      { key: 'kiosk', title: T.kiosk, cell: (v) => v.kiosk },
      { key: 'document', title: T.document, cell: (v) => `${kindText(ctx, v.kind)} ${v.numberMasked ?? ''}` },
      {
        key: 'coVisitors',
        title: T.coVisitors,
        class: 'num',
        sort: (v) => v.coVisitors,
        // The door sensor saw nobody go through (issue #19): no stay, so no co-visitors.
        cell: (v) =>
          v.notEntered ? h('i', { class: 'not-entered' }, ctx.t(T.notEntered)) : String(v.coVisitors),
      },
    ],
  });
}

function peopleTable(ctx, people, revealed) {
  const { h } = ctx;
  const ids = (p) => p.identities ?? [];
  const lines = (values) => values.filter(Boolean).flatMap((v, i) => (i ? [h('br'), v] : [v]));
  const who = revealed
    ? [
        {
          key: 'number',
          title: T.number,
          sort: (p) => ids(p)[0]?.number,
          cell: (p) => {
            const shown = lines(ids(p).map((i) => `${kindText(ctx, i.kind)} ${i.number}`));
            // Boxes the key could not open (another key, damaged, or none sealed): masked, counted.
            if (!shown.length || p.unopened)
              shown.push(
                ...(shown.length ? [h('br')] : []),
                h(
                  'span',
                  { class: 'muted' },
                  p.documents.map((d) => `${kindText(ctx, d.kind)} ${d.numberMasked}`).join(', '),
                  p.unopened ? ` (${p.unopened} ${ctx.t(T.unopened)})` : '',
                ),
              );
            return h('span', {}, shown);
          },
        },
        {
          key: 'name',
          title: T.name,
          sort: (p) => ids(p)[0]?.name,
          cell: (p) => h('span', {}, lines([...new Set(ids(p).map((i) => i.name))])),
        },
        {
          key: 'dob',
          title: T.dob,
          sort: (p) => ids(p).find((i) => i.dob)?.dob,
          cell: (p) => h('span', {}, lines([...new Set(ids(p).map((i) => ctx.fmtDate(i.dob)))])),
        },
        {
          key: 'phone',
          title: T.phone,
          sort: (p) => ids(p).find((i) => i.phone)?.phone,
          cell: (p) => h('span', {}, lines([...new Set(ids(p).map((i) => i.phone))])),
        },
      ]
    : [
        {
          key: 'documents',
          title: T.documents,
          sort: (p) => p.documents[0]?.nameMasked,
          cell: (p) =>
            h(
              'span',
              {},
              lines(
                p.documents.map((d) =>
                  `${kindText(ctx, d.kind)} ${d.numberMasked} ${d.nameMasked ?? ''}`.trim(),
                ),
              ),
            ),
        },
      ];
  return ctx.table({
    id: 'tracePeople',
    rows: people,
    empty: T.noPeople,
    initialSort: { key: 'ref', dir: 1 },
    search: (p) =>
      [
        p.ref,
        ...p.documents.flatMap((d) => [d.numberMasked, d.nameMasked]),
        ...ids(p).flatMap((i) => [i.number, i.name, i.phone]),
        ...sitesOf(p),
      ].join(' '),
    rowAttrs: (p) => ({ dataset: { ref: p.ref, level: String(p.level) } }),
    columns: [
      {
        key: 'ref',
        title: T.ref,
        // F1 before F2, then by number: 'F1-010' after 'F1-009'.
        sort: (p) => p.ref,
        cell: (p) => h('b', {}, p.ref),
      },
      ...who,
      {
        key: 'contacts',
        title: T.contacts,
        class: 'num',
        sort: (p) => p.contacts?.length ?? 0,
        cell: (p) => String(p.contacts?.length ?? 0),
      },
      {
        key: 'checkins',
        title: { vi: 'Lượt check-in', en: 'Check-ins' },
        class: 'num',
        sort: (p) => p.checkins,
        cell: (p) => String(p.checkins),
      },
      {
        key: 'overlap',
        title: T.overlap,
        class: 'num',
        sort: (p) => p.overlapMinutes,
        cell: (p) => String(p.overlapMinutes),
      },
      {
        key: 'sites',
        title: T.sites,
        class: 'wrap',
        sort: (p) => sitesOf(p).join(', '),
        cell: (p) => {
          const via = [...new Set((p.contacts ?? []).map((c) => c.via).filter(Boolean))];
          return [sitesOf(p).join(', '), via.length ? ` (${ctx.t(T.via)} ${via.join(', ')})` : ''].join('');
        },
      },
    ],
  });
}
