import { formatVnDateTime } from '@qrkiosk/protocol';
import { csvCell } from '../escape.js';
import { vnDob } from './dob.js';
import { type TraceResult, VERIFY_ONLY_NOTE } from './result.js';

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
 * The number, name, date of birth (dd/MM/yyyy) and phone columns are filled only in a revealed trace.
 * A person with several documents has them joined by " | " in one cell: kind, number_masked and
 * name_masked list every document in the same order. A period with verify-only sites ends with a
 * row saying tracing is impossible there (vi/en, in the `case` and `site`/`site_name` columns): a
 * spreadsheet passed on without the page must not read as "nobody else was there".
 */
export function traceCsv(r: TraceResult): string {
  const rows = r.people.flatMap((p) => {
    const docs = (f: (d: (typeof p.documents)[number]) => string) => p.documents.map(f).join(' | ');
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
        docs((d) => d.kind),
        docs((d) => d.numberMasked),
        docs((d) => d.nameMasked),
        joined((i) => i.number),
        joined((i) => i.name),
        joined((i) => (i.dob ? vnDob(i.dob) : undefined)),
        joined((i) => i.phone),
      ]
        .map(csvCell)
        .join(','),
    );
  });
  const blind = (r.verifyOnlySites ?? []).map((site) =>
    [
      `${VERIFY_ONLY_NOTE.vi} / ${VERIFY_ONLY_NOTE.en}`,
      ...HEADER.slice(1).map((h) =>
        h === 'site' ? site : h === 'site_name' ? (r.verifyOnlySiteNames?.[site] ?? '') : '',
      ),
    ]
      .map(csvCell)
      .join(','),
  );
  return `\uFEFF${HEADER.join(',')}\n${[...rows, ...blind].map((l) => `${l}\n`).join('')}`;
}
