// Truy vết: one person's visits and the people there with them (F1, and F2 on request), as two tables
// (tracing-results.js), with CSV and a printable F1 list (tracing-export.js). The hub checks every
// field and answers refusals in both languages (POST /api/trace, docs/architecture.md); the page only
// spares the officer a round trip for a day that is not a day. A reveal sends the tracing key in the
// request body only: it is read from the chosen file each time and never kept in storage.
import { dayField } from '../dayfield.js';
import { addDays, vnToday } from '../fmt.js';
import { printTrace, traceCsv } from './tracing-export.js';
import { resultsView } from './tracing-results.js';

const T = {
  title: { vi: 'Truy vết', en: 'Tracing' },
  heading: { vi: 'Truy vết tiếp xúc', en: 'Contact tracing' },
  type: { vi: 'Loại giấy tờ', en: 'Document type' },
  id: { vi: 'Số giấy tờ', en: 'Document number' },
  from: { vi: 'Từ ngày', en: 'From' },
  to: { vi: 'Đến ngày', en: 'To' },
  window: { vi: '± phút', en: '± minutes' },
  windowHelp: {
    vi: 'Hai người được coi là tiếp xúc khi check-in cách nhau không quá số phút này',
    en: 'Two people count as contacts when their check-ins are at most this many minutes apart',
  },
  f2: { vi: 'Mở rộng F2', en: 'Include F2' },
  caseLabel: { vi: 'Mã ca bệnh', en: 'Case' },
  casePlaceholder: { vi: 'ví dụ BN-0123', en: 'e.g. BN-0123' },
  button: { vi: 'Truy vết', en: 'Trace' },
  working: { vi: 'Đang tìm…', en: 'Searching…' },
  reveal: { vi: 'Mở danh tính', en: 'Reveal identities' },
  revealHelp: {
    vi: 'Chỉ khi cần liên hệ người tiếp xúc của ca này. Khóa chỉ được gửi kèm yêu cầu, không được lưu; mỗi lần mở đều được ghi nhật ký.',
    en: "Only to contact this case's contacts. The key is sent with the request only, never stored; every reveal is audited.",
  },
  keyFile: { vi: 'Tệp khóa truy vết (tracing.key)', en: 'Tracing key file (tracing.key)' },
  reason: { vi: 'Lý do', en: 'Reason' },
  reasonPlaceholder: {
    vi: 'ví dụ: Công văn 12/TTYT, liên hệ F1 của ca BN-0123',
    en: 'e.g. Letter 12/TTYT, contact the F1s of case BN-0123',
  },
  keyTooBig: {
    vi: 'Tệp khóa quá lớn (tối đa 4096 byte): có phải tệp tracing.key không?',
    en: 'The key file is too large (at most 4096 bytes): is it tracing.key?',
  },
  keyUnread: { vi: 'Không đọc được tệp khóa', en: 'The key file could not be read' },
  badDay: { vi: 'Hãy nhập ngày theo dạng nn/tt/nnnn.', en: 'Type the days as dd/mm/yyyy.' },
};
const TYPES = [
  ['cccd', 'CCCD'],
  ['cmnd', 'CMND'],
  ['passport', { vi: 'Hộ chiếu', en: 'Passport' }],
  ['qid', 'QID'],
  ['bhyt', 'BHYT'],
  ['bhxh', 'BHXH'],
  ['phone', { vi: 'Điện thoại', en: 'Phone' }],
];
/** The hub's limit on a tracing key's PEM text (POST /api/trace, reveal.key). */
const KEY_MAX_BYTES = 4096;

export const view = {
  id: 'tracing',
  title: T.title,
  roles: ['tracer'],
  render(root, ctx) {
    const { h } = ctx;
    const today = vnToday();
    const label = (forId, text, attrs = {}) => h('label', { for: forId, ...attrs }, ctx.t(text));
    const type = h(
      'select',
      { id: 'traceType' },
      TYPES.map(([v, n]) => h('option', { value: v }, ctx.t(n))),
    );
    const id = h('input', { id: 'traceId', required: true, placeholder: '079…', autocomplete: 'off' });
    const from = dayField(ctx, { id: 'traceFrom', value: addDays(today, -14) });
    const to = dayField(ctx, { id: 'traceTo', value: today });
    const win = h('input', {
      id: 'traceWindow',
      type: 'number',
      value: '30',
      min: '1',
      max: '720',
      class: 'short',
      title: ctx.t(T.windowHelp),
    });
    const f2 = h('input', { id: 'traceF2', type: 'checkbox' });
    const caseId = h('input', {
      id: 'traceCase',
      maxlength: '64',
      autocomplete: 'off',
      placeholder: ctx.t(T.casePlaceholder),
    });
    const run = h('button', { type: 'submit', id: 'traceRun' }, ctx.t(T.button));
    const keyFile = h('input', { id: 'traceKey', type: 'file', accept: '.key,.pem,text/plain' });
    const reason = h('textarea', {
      id: 'traceReason',
      rows: '2',
      maxlength: '500',
      placeholder: ctx.t(T.reasonPlaceholder),
    });
    // A reason is needed only with a key (the hub asks for 5–500 characters; this spares the trip).
    keyFile.addEventListener('change', () => {
      const withKey = keyFile.files.length > 0;
      reason.required = withKey;
      // (minLength = -1 throws: the attribute is taken away instead.)
      if (withKey) reason.setAttribute('minlength', '5');
      else reason.removeAttribute('minlength');
    });
    const revealBox = h(
      'details',
      { id: 'traceReveal', class: 'reveal' },
      h('summary', {}, ctx.t(T.reveal)),
      h('p', { class: 'muted' }, ctx.t(T.revealHelp)),
      h(
        'div',
        { class: 'inline' },
        label('traceKey', T.keyFile),
        keyFile,
        label('traceReason', T.reason),
        reason,
      ),
    );
    const result = h('div', { id: 'traceResult', class: 'trace-result', role: 'status' });
    const problem = (text) => result.replaceChildren(h('p', { class: 'error', role: 'alert' }, ctx.t(text)));

    /** The request body from the form; nothing (and a message shown) when the key cannot be read. */
    const ask = async () => {
      const body = {
        type: type.value,
        id: id.value,
        from: from.day,
        to: to.day,
        window: Number(win.value),
        f2: f2.checked,
      };
      if (caseId.value.trim()) body.case = caseId.value.trim();
      const file = keyFile.files[0];
      if (file) {
        if (file.size > KEY_MAX_BYTES) return void problem(T.keyTooBig);
        try {
          body.reveal = { key: await file.text(), reason: reason.value.trim() };
        } catch {
          return void problem(T.keyUnread);
        }
      }
      return body;
    };
    const busy = (on) => {
      run.disabled = on;
      run.textContent = ctx.t(on ? T.working : T.button);
      result.setAttribute('aria-busy', String(on));
    };
    const submit = async (e) => {
      e.preventDefault();
      if (!from.day || !to.day) return void problem(T.badDay);
      busy(true);
      // The last answer or refusal goes at once: left up while the key file is read and the hub works, it
      // read as this trace's answer (and a test waiting for an error took the stale one).
      result.replaceChildren();
      try {
        const query = await ask();
        if (!query) return;
        let r;
        try {
          r = await ctx.api('/api/trace', { method: 'POST', body: query });
        } catch (err) {
          if (err.status !== 401) problem(ctx.errorText(err));
          return;
        }
        const exports = {
          csv: () => traceCsv(ctx, query),
          print: (w) => printTrace(ctx, query, w),
        };
        result.replaceChildren(resultsView(ctx, r, exports));
      } finally {
        busy(false);
      }
    };
    root.append(
      h(
        'section',
        { class: 'card fill tracing' },
        h('h2', {}, ctx.t(T.heading)),
        h(
          'form',
          { id: 'traceForm', onsubmit: submit },
          h(
            'div',
            { class: 'inline' },
            label('traceType', T.type),
            type,
            label('traceId', T.id),
            id,
            label('traceFrom', T.from),
            from,
            label('traceTo', T.to),
            to,
            label('traceWindow', T.window),
            win,
            h('span', { class: 'check' }, f2, label('traceF2', T.f2)),
            label('traceCase', T.caseLabel),
            caseId,
            run,
          ),
          // Only a tracer opens identities (the hub answers an admin's reveal 403): no box to fail with.
          ctx.user?.role === 'tracer' ? revealBox : null,
        ),
        result,
      ),
    );
  },
};
