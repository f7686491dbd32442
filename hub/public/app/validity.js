// The browser's own form messages ("Please fill out this field.") come in the browser's language,
// not the page's: every native refusal is reworded here in the UI language. A field that already
// set its own message (a day field) keeps it.
const TEXT = {
  valueMissing: { vi: 'Hãy điền ô này.', en: 'Please fill in this field.' },
  patternMismatch: { vi: 'Không đúng định dạng.', en: 'Not in the expected format.' },
  typeMismatch: { vi: 'Giá trị không hợp lệ.', en: 'Not a valid value.' },
  badInput: { vi: 'Hãy nhập một số.', en: 'Please type a number.' },
  stepMismatch: { vi: 'Giá trị không hợp lệ.', en: 'Not a valid value.' },
};
const length = (el) => ({
  vi: `Hãy nhập ít nhất ${el.minLength} ký tự.`,
  en: `Please type at least ${el.minLength} characters.`,
});
const range = (el) => ({
  vi: `Hãy nhập số từ ${el.min || '…'} đến ${el.max || '…'}.`,
  en: `Please type a number from ${el.min || '…'} to ${el.max || '…'}.`,
});

export function installValidityMessages(ctx) {
  document.addEventListener(
    'invalid',
    (e) => {
      const el = e.target;
      if (
        !(
          el instanceof HTMLInputElement ||
          el instanceof HTMLSelectElement ||
          el instanceof HTMLTextAreaElement
        )
      )
        return;
      if (el.validity.customError && el.dataset.ownMessage !== '1') return;
      const v = el.validity;
      const key = Object.keys(TEXT).find((k) => v[k]);
      const text = v.rangeUnderflow || v.rangeOverflow ? range(el) : v.tooShort ? length(el) : TEXT[key];
      if (!text) return;
      el.dataset.ownMessage = '1';
      el.setCustomValidity(ctx.t(text));
    },
    true,
  );
  // The reworded message is dropped as soon as the field changes, so the browser checks it afresh.
  document.addEventListener(
    'input',
    (e) => {
      const el = e.target;
      if (el?.dataset?.ownMessage !== '1') return;
      delete el.dataset.ownMessage;
      el.setCustomValidity('');
    },
    true,
  );
}
