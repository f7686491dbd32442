import type { TimelineEntry } from '@qrkiosk/gateway';

const LOOK: Record<TimelineEntry['line'], { icon: string; vi: string; en: string }> = {
  green: { icon: '🟢', vi: 'đèn xanh', en: 'green light' },
  red: { icon: '🔴', vi: 'đèn đỏ', en: 'red light' },
  amber: { icon: '🟡', vi: 'đèn vàng', en: 'amber light' },
  buzzer: { icon: '🔔', vi: 'còi', en: 'buzzer' },
  relay: { icon: '🚪', vi: 'rơ-le cửa', en: 'door relay' },
};

/** One line of the virtual GPIO's timeline, as the demo prints it. */
export function renderTimelineEntry(entry: TimelineEntry, lang: 'vi' | 'en' = 'vi'): string {
  const look = LOOK[entry.line];
  const state = entry.value ? (lang === 'vi' ? 'BẬT' : 'ON') : lang === 'vi' ? 'tắt' : 'off';
  return `${String(entry.t).padStart(7)} ms  ${entry.value ? look.icon : '⚫'} ${look[lang]} ${state}`;
}
