// "Có mã đặt lại mật khẩu?" under the login form: phone, the one-time code an admin gave, a new
// password (POST /api/password-reset, public, limited per address and per account). Its own module:
// the shell only mounts it (app.js); it follows the page's language by watching <html lang>.
const T = {
  open: { vi: 'Có mã đặt lại mật khẩu?', en: 'Have a password reset code?' },
  title: { vi: 'Đặt mật khẩu mới bằng mã', en: 'Set a new password with a code' },
  phone: { vi: 'Số điện thoại', en: 'Phone number' },
  code: { vi: 'Mã đặt lại (từ quản trị viên)', en: 'Reset code (from an admin)' },
  password: { vi: 'Mật khẩu mới (ít nhất 10 ký tự)', en: 'New password (at least 10 characters)' },
  again: { vi: 'Nhập lại mật khẩu mới', en: 'New password again' },
  button: { vi: 'Đặt mật khẩu', en: 'Set password' },
  differ: { vi: 'Hai lần nhập mật khẩu mới không giống nhau', en: 'The two new passwords differ' },
  done: {
    vi: 'Đã đặt mật khẩu mới. Hãy đăng nhập bằng mật khẩu đó.',
    en: 'Your new password is set. Log in with it.',
  },
  noHub: { vi: 'Không kết nối được tới hub; hãy thử lại.', en: 'Cannot reach the hub; try again.' },
  failed: { vi: 'Không đặt được mật khẩu', en: 'The password could not be set' },
};

/** Adds the toggle and the form to the login section; `ctx` gives the language (ctx.t). */
export function mountPasswordReset(loginSection, ctx) {
  const { h } = ctx;
  const texts = [];
  const text = (el, key, attr) => {
    texts.push([el, key, attr]);
    return el;
  };
  const input = (id, attrs) => h('input', { id, required: true, ...attrs });
  const label = (id, key) => text(h('label', { for: id }), key);
  const result = h('p', { id: 'resetResult', role: 'status' });
  let said = null;
  const show = (t, cls) => {
    said = t;
    result.className = cls;
    result.textContent = ctx.t(t);
  };
  const form = h(
    'form',
    { id: 'resetForm', hidden: true },
    text(h('h3'), 'title'),
    label('resetPhone', 'phone'),
    input('resetPhone', { inputmode: 'tel', autocomplete: 'username' }),
    label('resetCode', 'code'),
    input('resetCode', { autocomplete: 'one-time-code', autocapitalize: 'characters', spellcheck: 'false' }),
    label('resetPassword', 'password'),
    input('resetPassword', { type: 'password', minlength: 10, autocomplete: 'new-password' }),
    label('resetPassword2', 'again'),
    input('resetPassword2', { type: 'password', minlength: 10, autocomplete: 'new-password' }),
    text(h('button', { type: 'submit' }), 'button'),
    result,
  );
  const toggle = text(
    h('button', {
      type: 'button',
      id: 'resetOpen',
      class: 'link',
      onclick: () => {
        form.hidden = !form.hidden;
        if (!form.hidden) form.elements.resetPhone.focus();
      },
    }),
    'open',
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = (id) => form.elements[id].value;
    if (v('resetPassword') !== v('resetPassword2')) return show(T.differ, 'error');
    let r;
    try {
      r = await fetch('/api/password-reset', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ phone: v('resetPhone'), code: v('resetCode'), password: v('resetPassword') }),
      });
    } catch {
      return show(T.noHub, 'error');
    }
    const data = await r.json().catch(() => null);
    if (!r.ok) {
      const e2 = data?.error;
      return show(e2 && typeof e2.vi === 'string' ? e2 : T.failed, 'error');
    }
    // Back to the login form, the phone filled in.
    const phone = document.getElementById('phone');
    if (phone) phone.value = v('resetPhone');
    form.reset();
    form.hidden = true;
    show(T.done, 'ok');
    toggle.after(result);
    document.getElementById('password')?.focus();
  });

  const draw = () => {
    for (const [el, key] of texts) el.textContent = ctx.t(T[key]);
    if (said) result.textContent = ctx.t(said);
  };
  draw();
  loginSection.append(toggle, form);
  // The shell sets <html lang> whenever the language changes (app.js shellText).
  new MutationObserver(draw).observe(document.documentElement, {
    attributes: true,
    attributeFilter: ['lang'],
  });
}
