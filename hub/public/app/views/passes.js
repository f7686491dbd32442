// Thẻ QR: printed passes for people without a phone (issue #20) — issue one, issue a ward's CSV,
// list, print (A6 card or A4 sheet, the hub's /passes/print page) and revoke a lost card. The same
// use case as `qrkiosk-hub pass …` (hub/src/use-cases/passes.ts).

const T = {
  title: { vi: 'Thẻ QR', en: 'QR passes' },
  one: { vi: 'Cấp một thẻ', en: 'Issue one pass' },
  batch: { vi: 'Cấp theo danh sách (CSV: id_type,id,name)', en: 'Issue from a list (CSV: id_type,id,name)' },
  idType: { vi: 'Loại giấy tờ', en: 'Document type' },
  id: { vi: 'Số giấy tờ / số điện thoại', en: 'Document or phone number' },
  name: { vi: 'Họ và tên', en: 'Full name' },
  scopeKind: { vi: 'Phạm vi', en: 'Scope' },
  scopeId: { vi: 'Mã địa điểm / phường', en: 'Site or ward code' },
  days: { vi: 'Số ngày hiệu lực', en: 'Days valid' },
  issuer: {
    vi: 'Nơi cấp in trên thẻ (bắt buộc với phường/tỉnh, ví dụ UBND phường Yết Kiêu)',
    en: 'Issuer printed on the card (required for a ward/province, e.g. UBND phường Yết Kiêu)',
  },
  printPart: { vi: 'In tờ A4, phần', en: 'Print A4 sheets, part' },
  site: { vi: 'địa điểm', en: 'site' },
  ward: { vi: 'phường/xã', en: 'ward' },
  province: { vi: 'tỉnh', en: 'province' },
  issue: { vi: 'Cấp thẻ', en: 'Issue' },
  issueCsv: { vi: 'Cấp các thẻ', en: 'Issue all' },
  issued: { vi: 'Đã cấp', en: 'Issued' },
  print: { vi: 'In (A6)', en: 'Print (A6)' },
  printA4: { vi: 'In tờ A4', en: 'Print A4 sheet' },
  revoke: { vi: 'Khóa (mất thẻ)', en: 'Revoke (lost)' },
  reason: { vi: 'Lý do khóa thẻ', en: 'Reason for revoking' },
  who: { vi: 'Người giữ', en: 'Holder' },
  until: { vi: 'Hết hạn', en: 'Expires' },
  no: { vi: 'Số thẻ', en: 'Card no.' },
  revoked: { vi: 'Đã khóa', en: 'Revoked' },
  none: { vi: 'Chưa có thẻ nào.', en: 'No passes yet.' },
  badRows: { vi: 'Dòng lỗi, không cấp thẻ nào:', en: 'Bad rows, no pass issued:' },
  revokedNote: {
    vi: 'Đã khóa. Trung tâm gửi ngay danh sách thẻ mới; kiosk đang kết nối nhận được trong vài giây.',
    en: 'Revoked. The hub sends the new pass list now; connected kiosks have it within seconds.',
  },
};

const vnDate = (day) => day.split('-').reverse().join('/');
/** The print page takes at most 200 cards (routes/passes.ts): a larger batch is printed in parts. */
const PRINT_MAX = 200;
const parts = (ids) =>
  Array.from({ length: Math.ceil(ids.length / PRINT_MAX) }, (_, i) =>
    ids.slice(i * PRINT_MAX, (i + 1) * PRINT_MAX),
  );

export const view = {
  id: 'passes',
  title: T.title,
  roles: ['officer'],
  async render(root, ctx) {
    const { h } = ctx;
    const out = h('div', { id: 'passResult', role: 'status' });
    const fail = (err) => {
      if (err.status !== 401) out.replaceChildren(h('p', { class: 'error wrap' }, ctx.errorText(err)));
    };
    const printLink = (ids, layout, label) =>
      h(
        'a',
        { href: `/passes/print?ids=${ids.join(',')}&layout=${layout}`, target: '_blank', rel: 'noopener' },
        ctx.t(label),
      );
    const scopeFields = (prefix) => {
      const kind = h(
        'select',
        { id: `${prefix}ScopeKind`, 'aria-label': ctx.t(T.scopeKind) },
        ...['ward', 'site', 'province'].map((k) => h('option', { value: k }, ctx.t(T[k]))),
      );
      const id = h('input', {
        id: `${prefix}ScopeId`,
        placeholder: '26734',
        'aria-label': ctx.t(T.scopeId),
        required: true,
      });
      const days = h('input', {
        id: `${prefix}Days`,
        type: 'number',
        min: 1,
        max: 1826,
        placeholder: ctx.t(T.days),
        'aria-label': ctx.t(T.days),
      });
      const issuer = h('input', {
        id: `${prefix}Issuer`,
        maxlength: 80,
        placeholder: ctx.t(T.issuer),
        'aria-label': ctx.t(T.issuer),
      });
      return {
        nodes: [kind, id, days, issuer],
        // Empty days: the hub's default (hub.yaml passes.validDays); empty issuer: a site's name.
        value: () => ({
          scope: { kind: kind.value, id: id.value.trim() },
          ...(days.value ? { validDays: Number(days.value) } : {}),
          ...(issuer.value.trim() ? { issuer: issuer.value.trim() } : {}),
        }),
      };
    };

    const oneScope = scopeFields('pass');
    const idType = h(
      'select',
      { id: 'passIdType', 'aria-label': ctx.t(T.idType) },
      ...['phone', 'cccd', 'cmnd', 'passport', 'bhyt'].map((v) => h('option', { value: v }, v)),
    );
    const idNo = h('input', {
      id: 'passId',
      autocomplete: 'off',
      required: true,
      'aria-label': ctx.t(T.id),
      placeholder: ctx.t(T.id),
    });
    const name = h('input', {
      id: 'passName',
      autocomplete: 'off',
      required: true,
      'aria-label': ctx.t(T.name),
      placeholder: ctx.t(T.name),
    });
    const oneForm = h(
      'form',
      {
        id: 'passForm',
        class: 'inline',
        onsubmit: async (e) => {
          e.preventDefault();
          try {
            const p = await ctx.api('/api/passes', {
              method: 'POST',
              body: { idType: idType.value, id: idNo.value, name: name.value, ...oneScope.value() },
            });
            out.replaceChildren(
              h(
                'p',
                {},
                `${ctx.t(T.issued)}: ${p.nameMasked} · ${vnDate(p.validUntil)} · `,
                printLink([p.passId], 'a6', T.print),
              ),
            );
            oneForm.reset();
            await refresh();
          } catch (err) {
            fail(err);
          }
        },
      },
      idType,
      idNo,
      name,
      ...oneScope.nodes,
      h('button', { type: 'submit' }, ctx.t(T.issue)),
    );

    const csvScope = scopeFields('passCsv');
    const csvFile = h('input', { id: 'passCsvFile', type: 'file', accept: '.csv,text/csv', required: true });
    const csvForm = h(
      'form',
      {
        id: 'passCsvForm',
        class: 'inline',
        onsubmit: async (e) => {
          e.preventDefault();
          const file = csvFile.files?.[0];
          if (!file) return;
          try {
            const r = await ctx.api('/api/passes/csv', {
              method: 'POST',
              body: { csv: await file.text(), ...csvScope.value() },
            });
            const ids = r.issued.map((p) => p.passId);
            const chunks = parts(ids);
            out.replaceChildren(
              h(
                'p',
                {},
                `${ctx.t(T.issued)}: ${ids.length} · `,
                ...(chunks.length === 1
                  ? [printLink(ids, 'a4', T.printA4)]
                  : chunks.flatMap((c, i) => [
                      printLink(c, 'a4', {
                        vi: `${T.printPart.vi} ${i + 1}/${chunks.length}`,
                        en: `${T.printPart.en} ${i + 1}/${chunks.length}`,
                      }),
                      ' ',
                    ])),
              ),
            );
            await refresh();
          } catch (err) {
            fail(err);
          }
        },
      },
      csvFile,
      ...csvScope.nodes,
      h('button', { type: 'submit' }, ctx.t(T.issueCsv)),
    );

    const revoke = async (p) => {
      const reason = window.prompt(ctx.t(T.reason), 'mất thẻ');
      if (!reason) return;
      try {
        const r = await ctx.api(`/api/passes/${p.passId}/revoke`, { method: 'POST', body: { reason } });
        // The route says whether the list reached kiosks (routes/passes.ts revokeSent).
        out.replaceChildren(h('p', {}, ctx.t(r?.list?.text ?? T.revokedNote)));
        await refresh();
      } catch (err) {
        fail(err);
      }
    };
    const list = ctx.table({
      id: 'passTable',
      empty: T.none,
      search: (p) => `${p.nameMasked} ${p.passId} ${p.scopeId}`,
      initialSort: { key: 'issued', dir: -1 },
      columns: [
        { key: 'who', title: T.who, sort: (p) => p.nameMasked, cell: (p) => p.nameMasked },
        {
          key: 'scope',
          title: T.scopeKind,
          cell: (p) =>
            `${ctx.t(T[p.scopeKind] ?? T.site)} ${p.scopeKind === 'site' ? ctx.siteName(p.scopeId) : p.scopeId}`,
        },
        { key: 'until', title: T.until, sort: (p) => p.validUntil, cell: (p) => vnDate(p.validUntil) },
        { key: 'issued', title: T.issued, sort: (p) => p.issuedAt, cell: (p) => ctx.fmtDateTime(p.issuedAt) },
        { key: 'no', title: T.no, cell: (p) => h('code', {}, p.passId) },
        {
          key: 'act',
          title: T.print,
          cell: (p) =>
            p.revokedAt
              ? h('span', { class: 'muted' }, ctx.t(T.revoked))
              : h(
                  'span',
                  {},
                  printLink([p.passId], 'a6', T.print),
                  ' ',
                  h(
                    'button',
                    { type: 'button', dataset: { act: 'revoke' }, onclick: () => revoke(p) },
                    ctx.t(T.revoke),
                  ),
                ),
        },
      ],
    });
    const refresh = async () => list.update(await ctx.api('/api/passes?all=true'));
    root.replaceChildren(
      h('section', { class: 'card' }, h('h2', {}, ctx.t(T.one)), oneForm),
      h('section', { class: 'card' }, h('h2', {}, ctx.t(T.batch)), csvForm),
      out,
      h('section', { class: 'card' }, list),
    );
    await refresh().catch(fail);
  },
};
