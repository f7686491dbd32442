// Đổi mật khẩu, for every role (POST /api/me/password): the current password, the new one twice.
// The hub ends the user's other sessions; this one stays.
import { pair } from './users-fields.js';

const T = {
  title: { vi: 'Đổi mật khẩu', en: 'Change password' },
  old: { vi: 'Mật khẩu hiện tại', en: 'Current password' },
  new: { vi: 'Mật khẩu mới (ít nhất 10 ký tự)', en: 'New password (at least 10 characters)' },
  again: { vi: 'Nhập lại mật khẩu mới', en: 'New password again' },
  button: { vi: 'Đổi mật khẩu', en: 'Change password' },
  differ: { vi: 'Hai lần nhập mật khẩu mới không giống nhau', en: 'The two new passwords differ' },
  done: {
    vi: 'Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã đóng.',
    en: 'Password changed. Your other sessions have ended.',
  },
};

export function passwordCard(ctx) {
  const { h } = ctx;
  // Not `required`: empty fields are not shown as errors before anyone typed; the hub says what is wrong.
  const field = (id, label, autocomplete) =>
    pair(
      ctx,
      h('label', { for: id }, ctx.t(label)),
      h('input', { id, type: 'password', autocomplete, ...(id === 'pwOld' ? {} : { minlength: 10 }) }),
    );
  const result = h('p', { id: 'pwResult', role: 'status' });
  const form = h(
    'form',
    {
      id: 'pwForm',
      class: 'inline',
      onsubmit: async (e) => {
        e.preventDefault();
        const [oldPassword, newPassword, again] = ['pwOld', 'pwNew', 'pwNew2'].map(
          (id) => form.elements[id].value,
        );
        const show = (text, cls) => {
          result.className = cls;
          result.textContent = text;
        };
        if (newPassword !== again) return show(ctx.t(T.differ), 'error');
        try {
          await ctx.api('/api/me/password', { method: 'POST', body: { oldPassword, newPassword } });
          form.reset();
          show(ctx.t(T.done), 'ok');
        } catch (err) {
          if (err?.status !== 401) show(ctx.errorText(err), 'error');
        }
      },
    },
    field('pwOld', T.old, 'current-password'),
    field('pwNew', T.new, 'new-password'),
    field('pwNew2', T.again, 'new-password'),
    h('button', { type: 'submit' }, ctx.t(T.button)),
  );
  return h('section', { class: 'card', id: 'pwBox' }, h('h2', {}, ctx.t(T.title)), form, result);
}
