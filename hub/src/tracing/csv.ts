import { formatVnDateTime } from '@qrkiosk/protocol';
import { csvCell } from '../escape.js';
import type { TraceResult } from './result.js';

const HEADER = [
  'case',
  'ref',
  'level',
  'via',
  'visit',
  'contact_time',
  'overlap_minutes',
  'site',
  'site_name',
  'site_address',
  'kind',
  'number_masked',
  'name_masked',
  'number',
  'name',
  'dob',
  'phone',
];

/**
 * A trace as CSV for the ward's team: one row per person-contact (a person met at two visits has
 * two rows), times in Vietnam time, UTF-8 with a BOM so a spreadsheet opens Vietnamese names right.
 * The number, name, date of birth and phone columns are filled only in a revealed trace; a person
 * with several documents has them joined by " | " in one cell.
 */
export function traceCsv(r: TraceResult): string {
  const rows = r.people.flatMap((p) => {
    const doc = p.documents[0];
    const ids = p.identities ?? [];
    const joined = (f: (i: (typeof ids)[number]) => string | undefined) =>
      [...new Set(ids.map(f).filter((v) => v))].join(' | ');
    return p.contacts.map((c) =>
      [
        r.case,
        p.ref,
        p.level,
        c.via ?? '',
        c.visit,
        formatVnDateTime(new Date(c.at)),
        c.overlapMinutes,
        c.site,
        c.siteName,
        c.siteAddress,
        doc?.kind ?? '',
        p.documents.map((d) => d.numberMasked).join(' | '),
        doc?.nameMasked ?? '',
        joined((i) => i.number),
        joined((i) => i.name),
        joined((i) => i.dob),
        joined((i) => i.phone),
      ]
        .map(csvCell)
        .join(','),
    );
  });
  return `\uFEFF${HEADER.join(',')}\n${rows.map((l) => `${l}\n`).join('')}`;
}
