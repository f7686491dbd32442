import type { Facts, IdType } from '@qrkiosk/gateway';
import { NO_FACTS, vnDayOffset } from './sample-dates.js';

/**
 * Synthetic people for the demo and scenarios: invented names, numbers consistent with their
 * birth dates (digit 4 = sex and century), never real citizens. Facts are relative to "now" so
 * the demo shows the same colours on any day.
 */
export interface SamplePerson {
  label: { vi: string; en: string };
  payload: string;
  /** Identity keys the hub's data would carry for this person (none: unknown to the kiosk). */
  keys: Array<{ type: IdType; value: string }>;
  facts: (now: Date) => Facts | null;
}

export const SAMPLE_PEOPLE: SamplePerson[] = [
  {
    label: { vi: 'CCCD, đã tiêm đủ 2 mũi → xanh, được vào', en: 'CCCD, fully vaccinated → green, admitted' },
    payload:
      '001088012345|012345678|Phạm Minh Tuấn|12031988|Nam|Số 8 phố Huế, Phường Hàng Bài, Quận Hoàn Kiếm, Hà Nội|15052021',
    keys: [{ type: 'cccd', value: '001088012345' }],
    facts: (now) => ({
      ...NO_FACTS,
      dosesReceived: 2,
      primarySeriesComplete: true,
      firstDoseDate: vnDayOffset(now, -120),
      lastDoseDate: vnDayOffset(now, -60),
    }),
  },
  {
    label: { vi: 'CCCD, mới tiêm 1 mũi → vàng, được vào', en: 'CCCD, one dose → yellow, admitted' },
    payload:
      '079195004567||Lê Thị Hồng|05071995|Nữ|45 Nguyễn Trãi, Phường 2, Quận 5, TP. Hồ Chí Minh|02082021',
    keys: [{ type: 'cccd', value: '079195004567' }],
    facts: (now) => ({
      ...NO_FACTS,
      dosesReceived: 1,
      primarySeriesComplete: false,
      firstDoseDate: vnDayOffset(now, -30),
    }),
  },
  {
    label: {
      vi: 'CCCD, chưa tiêm → đỏ, không được vào (cấp 2)',
      en: 'CCCD, not vaccinated → red, refused (level 2)',
    },
    payload:
      '048201007890||Trần Quốc Bảo|21092001|Nam|12 Bạch Đằng, Phường Hải Châu 1, Quận Hải Châu, Đà Nẵng|11112021',
    keys: [{ type: 'cccd', value: '048201007890' }],
    facts: () => ({ ...NO_FACTS, dosesReceived: 0, primarySeriesComplete: false }),
  },
  {
    label: {
      vi: 'QR cá nhân (số bị che), đang là F0 → từ chối',
      en: 'Personal QR (masked), active F0 → refused',
    },
    payload: '******003321|DO THU HA|1992-04-**|0|162979388586170042|2<HN4010112345678<0983******',
    keys: [{ type: 'qid', value: '162979388586170042' }],
    facts: (now) => ({ ...NO_FACTS, caseStatus: 'f0', caseUntil: vnDayOffset(now, 7) }),
  },
  {
    label: {
      vi: 'CCCD, chưa có dữ liệu → kiểm tra (vàng nhấp nháy)',
      en: 'CCCD, no data → review (amber blinking)',
    },
    payload:
      '056203004321||Lê Hoàng Phúc|30112003|Nam|Thôn Phú Hội, Xã Ninh Hưng, Thị xã Ninh Hòa, Khánh Hòa|14082021',
    keys: [],
    facts: () => null,
  },
  {
    label: {
      vi: 'Mã QR địa điểm (nhầm) → yêu cầu mã cá nhân',
      en: "A place's QR by mistake → ask for the personal code",
    },
    payload: 'https://qr.tokhaiyte.vn/dd/4a7f1c2e9b',
    keys: [],
    facts: () => null,
  },
];
