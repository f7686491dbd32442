import { h } from './dom.js';
import { fmtDate, parseDayInput } from './fmt.js';

/**
 * A day typed as dd/MM/yyyy — not <input type=date>, which shows the browser's locale (month first
 * in an English browser). `field.day` is 'yyyy-MM-dd' or null; an impossible day (31/02) marks the
 * field invalid with a message in the UI language. `onday(day)` is called on each valid change.
 */
export function dayField(ctx, { id, value, label, onday }) {
  const input = h('input', {
    id,
    class: 'day',
    type: 'text',
    inputmode: 'numeric',
    autocomplete: 'off',
    placeholder: ctx.t({ vi: 'nn/tt/nnnn', en: 'dd/mm/yyyy' }),
    pattern: '\\d{1,2}/\\d{1,2}/\\d{4}',
    title: ctx.t({
      vi: 'Ngày theo dạng nn/tt/nnnn, ví dụ 30/10/2021',
      en: 'A day as dd/mm/yyyy, e.g. 30/10/2021',
    }),
    'aria-label': label ? ctx.t(label) : null,
    value: fmtDate(value),
    required: true,
  });
  const check = () => {
    const day = parseDayInput(input.value);
    input.setCustomValidity(
      day
        ? ''
        : ctx.t({
            vi: 'Ngày không hợp lệ; hãy nhập nn/tt/nnnn, ví dụ 30/10/2021',
            en: 'Not a real day; type dd/mm/yyyy, e.g. 30/10/2021',
          }),
    );
    return day;
  };
  input.addEventListener('input', () => {
    const day = check();
    if (day) onday?.(day);
  });
  Object.defineProperty(input, 'day', { get: check });
  return input;
}
