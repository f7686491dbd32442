// Người dùng: everyone changes their own password here; the admin also lists, adds and edits users
// (role, scope, e-mail), disables them and gives one-time reset codes (routes/users.ts, the same use
// cases as `qrkiosk-hub user …`). A code is shown once, as the hub answers it, and never kept.
import { pair } from './users-fields.js';
import { passwordCard } from './users-password.js';

const T = {
  title: { vi: 'Người dùng', en: 'Users' },
  list: { vi: 'Danh sách người dùng', en: 'Users' },
  add: { vi: 'Thêm người dùng', en: 'Add a user' },
  edit: { vi: 'Sửa người dùng', en: 'Edit user' },
  phone: { vi: 'Số điện thoại', en: 'Phone number' },
  role: { vi: 'Vai trò', en: 'Role' },
  scope: { vi: 'Phạm vi', en: 'Scope' },
  scopeHint: {
    vi: 'mã địa điểm, district:<mã>, ward:<mã> — cách nhau bằng dấu phẩy',
    en: 'site ids, district:<code>, ward:<code> — separated by commas',
  },
  allSites: { vi: 'Mọi địa điểm', en: 'Every site' },
  email: { vi: 'E-mail (không bắt buộc)', en: 'E-mail (optional)' },
  password: { vi: 'Mật khẩu ban đầu', en: 'Initial password' },
  passwordHint: {
    vi: 'Để trống: hub tạo mã dùng một lần để người dùng tự đặt mật khẩu',
    en: 'Leave empty: the hub makes a one-time code for the user to set their own',
  },
  passwordShort: { vi: 'trống: mã dùng một lần', en: 'empty: one-time code' },
  state: { vi: 'Trạng thái', en: 'State' },
  active: { vi: 'đang dùng', en: 'active' },
  disabled: { vi: 'đã khóa', en: 'disabled' },
  actions: { vi: 'Thao tác', en: 'Actions' },
  editButton: { vi: 'Sửa', en: 'Edit' },
  disable: { vi: 'Khóa', en: 'Disable' },
  enable: { vi: 'Mở khóa', en: 'Enable' },
  reset: { vi: 'Tạo mã đặt lại', en: 'Reset code' },
  save: { vi: 'Lưu', en: 'Save' },
  cancel: { vi: 'Hủy', en: 'Cancel' },
  addButton: { vi: 'Thêm', en: 'Add' },
  added: { vi: 'Đã thêm', en: 'Added' },
  saved: { vi: 'Đã lưu', en: 'Saved' },
  none: { vi: 'Chưa có người dùng.', en: 'No users yet.' },
  sureDisable: {
    vi: 'Khóa tài khoản này? Các phiên đăng nhập của họ sẽ đóng ngay.',
    en: 'Disable this account? Their sessions end at once.',
  },
  sureReset: {
    vi: 'Tạo mã đặt lại mật khẩu? Mã cũ (nếu có) sẽ hết hiệu lực.',
    en: 'Make a password reset code? An older code stops working.',
  },
  codeFor: { vi: 'Mã đặt lại mật khẩu cho', en: 'Password reset code for' },
  codeHint: {
    vi: 'Chỉ hiện lần này; dùng được một lần, hết hạn',
    en: 'Shown only now; works once, expires',
  },
  codeHow: {
    vi: 'Người dùng nhập mã ở trang đăng nhập, mục “Có mã đặt lại mật khẩu?”.',
    en: 'The user enters it on the login page, under “Have a password reset code?”.',
  },
};
export const ROLE = {
  admin: { vi: 'quản trị', en: 'admin' },
  officer: { vi: 'cán bộ', en: 'officer' },
  'site-owner': { vi: 'chủ địa điểm', en: 'site owner' },
  tracer: { vi: 'truy vết', en: 'tracer' },
};

/** "s-001, district:760 ward:1" → ['s-001', 'district:760', 'ward:1']. */
const scopeOf = (text) =>
  text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);

function roleSelect(ctx, id, value) {
  return ctx.h(
    'select',
    { id, required: true },
    Object.keys(ROLE).map((r) => ctx.h('option', { value: r, selected: r === value }, ctx.t(ROLE[r]))),
  );
}

/** Scope field and "every site" box; read() gives the scope list ('*' for every site). */
function scopeField(ctx, prefix, sites = []) {
  const all = sites.includes('*');
  const input = ctx.h('input', {
    id: `${prefix}Scope`,
    value: all ? '' : sites.join(', '),
    placeholder: 's-001, district:760',
    title: ctx.t(T.scopeHint),
    disabled: all,
  });
  const box = ctx.h('input', {
    id: `${prefix}AllSites`,
    type: 'checkbox',
    checked: all,
    onchange: () => {
      input.disabled = box.checked;
    },
  });
  const el = pair(
    ctx,
    ctx.h('label', { for: input.id }, ctx.t(T.scope)),
    input,
    ctx.h('label', {}, box, ` ${ctx.t(T.allSites)}`),
  );
  // After a form reset the box is unchecked again but `disabled` (a property) is not reset with it.
  const sync = () => {
    input.disabled = box.checked;
  };
  return { el, read: () => (box.checked ? ['*'] : scopeOf(input.value)), sync };
}

/** The box that shows a code the hub just made: once, with how the user uses it. */
function showCode(ctx, where, issued) {
  where.replaceChildren(
    ctx.h(
      'div',
      { class: 'notice', id: 'userCode', role: 'status' },
      ctx.h('p', {}, `${ctx.t(T.codeFor)} ${issued.phone}:`),
      ctx.h('p', {}, ctx.h('code', { id: 'userCodeValue', class: 'code' }, issued.code)),
      ctx.h('p', {}, `${ctx.t(T.codeHint)} ${ctx.fmtDateTime(issued.expiresAt)}. ${ctx.t(T.codeHow)}`),
    ),
  );
}

const scopeText = (ctx, sites) => (sites.includes('*') ? ctx.t(T.allSites) : sites.join(', '));

async function adminPart(root, ctx) {
  const { h } = ctx;
  const message = h('div', { id: 'usersMessage' });
  const editBox = h('div', { id: 'userEdit' });
  const say = (text, cls = 'ok') => message.replaceChildren(h('p', { class: cls, role: 'status' }, text));
  const failed = (err) => {
    if (err?.status !== 401) say(ctx.errorText(err), 'error');
  };
  const refresh = async () => list.update(await ctx.api('/api/users'));

  const change = async (u, body) => {
    try {
      await ctx.api(`/api/users/${encodeURIComponent(u.phone)}`, { method: 'PATCH', body });
      say(`${ctx.t(T.saved)}: ${u.phone}`);
      editBox.replaceChildren();
      await refresh();
    } catch (err) {
      failed(err);
    }
  };
  const reset = async (u) => {
    if (!confirm(ctx.t(T.sureReset))) return;
    try {
      const issued = await ctx.api(`/api/users/${encodeURIComponent(u.phone)}/reset`, {
        method: 'POST',
        body: {},
      });
      showCode(ctx, message, issued);
    } catch (err) {
      failed(err);
    }
  };
  const edit = (u) => {
    const role = roleSelect(ctx, 'editRole', u.role);
    const scope = scopeField(ctx, 'edit', u.sites);
    const email = h('input', { id: 'editEmail', type: 'email', value: u.email ?? '', autocomplete: 'off' });
    const form = h(
      'form',
      {
        id: 'editForm',
        class: 'inline',
        onsubmit: (e) => {
          e.preventDefault();
          // Only what changed: an e-mail alone leaves the user's sessions open.
          const body = {};
          const sites = scope.read();
          if (role.value !== u.role) body.role = role.value;
          if (sites.join(',') !== u.sites.join(',')) body.sites = sites;
          if ((email.value.trim() || null) !== u.email) body.email = email.value.trim() || null;
          if (Object.keys(body).length === 0) editBox.replaceChildren();
          else change(u, body);
        },
      },
      pair(ctx, h('label', { for: 'editRole' }, ctx.t(T.role)), role),
      scope.el,
      pair(ctx, h('label', { for: 'editEmail' }, ctx.t(T.email)), email),
      h('button', { type: 'submit' }, ctx.t(T.save)),
      h('button', { type: 'button', onclick: () => editBox.replaceChildren() }, ctx.t(T.cancel)),
    );
    editBox.replaceChildren(
      h('section', { class: 'card' }, h('h3', {}, `${ctx.t(T.edit)} ${u.phone}`), form),
    );
    role.focus();
  };

  const list = ctx.table({
    id: 'usersTable',
    rows: [],
    empty: T.none,
    initialSort: { key: 'phone', dir: 1 },
    search: (u) => `${u.phone} ${ctx.t(ROLE[u.role])} ${u.sites.join(' ')} ${u.email ?? ''}`,
    rowAttrs: (u) => ({ dataset: { phone: u.phone } }),
    columns: [
      { key: 'phone', title: T.phone, cell: (u) => u.phone },
      { key: 'role', title: T.role, cell: (u) => ctx.t(ROLE[u.role] ?? { vi: u.role, en: u.role }) },
      { key: 'scope', title: T.scope, class: 'wrap', cell: (u) => scopeText(ctx, u.sites) },
      { key: 'email', title: { vi: 'E-mail', en: 'E-mail' }, cell: (u) => u.email ?? '' },
      {
        key: 'state',
        title: T.state,
        sort: (u) => u.disabled,
        cell: (u) =>
          h(
            'span',
            { class: `badge ${u.disabled ? 'off' : 'on'}` },
            ctx.t(u.disabled ? T.disabled : T.active),
          ),
      },
      {
        key: 'actions',
        title: T.actions,
        sort: () => 0,
        cell: (u) =>
          h(
            'span',
            { class: 'actions' },
            h(
              'button',
              { type: 'button', dataset: { act: 'edit' }, onclick: () => edit(u) },
              ctx.t(T.editButton),
            ),
            h(
              'button',
              {
                type: 'button',
                dataset: { act: u.disabled ? 'enable' : 'disable' },
                onclick: () => {
                  if (u.disabled) change(u, { disabled: false });
                  else if (confirm(ctx.t(T.sureDisable))) change(u, { disabled: true });
                },
              },
              ctx.t(u.disabled ? T.enable : T.disable),
            ),
            h(
              'button',
              { type: 'button', dataset: { act: 'reset' }, onclick: () => reset(u) },
              ctx.t(T.reset),
            ),
          ),
      },
    ],
  });

  root.append(
    h('section', { class: 'card fill', id: 'usersBox' }, h('h2', {}, ctx.t(T.list)), message, editBox, list),
    addCard(ctx, { say, failed, refresh, showCode: (issued) => showCode(ctx, message, issued) }),
  );
  await refresh();
}

function addCard(ctx, { say, failed, refresh, showCode: show }) {
  const { h } = ctx;
  // Not `required`: an empty field is not shown as an error before anyone typed; the hub says what is missing.
  const phone = h('input', { id: 'newPhone', inputmode: 'tel', autocomplete: 'off' });
  const role = roleSelect(ctx, 'newRole', 'officer');
  const scope = scopeField(ctx, 'new');
  const email = h('input', { id: 'newEmail', type: 'email', autocomplete: 'off' });
  const password = h('input', {
    id: 'newPassword',
    type: 'password',
    minlength: 10,
    autocomplete: 'new-password',
    placeholder: ctx.t(T.passwordShort),
    title: ctx.t(T.passwordHint),
  });
  const form = h(
    'form',
    {
      id: 'userAddForm',
      class: 'inline',
      onsubmit: async (e) => {
        e.preventDefault();
        const body = { phone: phone.value, role: role.value, sites: scope.read() };
        if (email.value.trim()) body.email = email.value.trim();
        if (password.value) body.password = password.value;
        try {
          const r = await ctx.api('/api/users', { method: 'POST', body });
          password.value = '';
          if (r.code) show(r.code);
          else say(`${ctx.t(T.added)}: ${r.user.phone}`);
          form.reset();
          scope.sync();
          await refresh();
        } catch (err) {
          failed(err);
        }
      },
    },
    pair(ctx, h('label', { for: 'newPhone' }, ctx.t(T.phone)), phone),
    pair(ctx, h('label', { for: 'newRole' }, ctx.t(T.role)), role),
    scope.el,
    pair(ctx, h('label', { for: 'newEmail' }, ctx.t(T.email)), email),
    pair(ctx, h('label', { for: 'newPassword' }, ctx.t(T.password)), password),
    h('button', { type: 'submit' }, ctx.t(T.addButton)),
  );
  return h('section', { class: 'card', id: 'userAddBox' }, h('h2', {}, ctx.t(T.add)), form);
}

export const view = {
  id: 'users',
  title: T.title,
  roles: 'any',
  async render(root, ctx) {
    if (ctx.user?.role === 'admin') await adminPart(root, ctx);
    root.append(passwordCard(ctx));
  },
};
