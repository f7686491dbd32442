import { parse } from 'csv-parse/sync';
import type { SiteInput } from './storage/index.js';

const CODE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The site register as a CSV file: `site,name,district,ward[,address]` (header line required, any
 * column order, UTF-8 with or without BOM). District and ward are the province's administrative codes.
 * `address` (optional, for the F1 list) is quoted when it holds commas, as CSV does; without the
 * column the sites keep the addresses stored before, an empty cell clears one.
 * Every bad line is reported with its number; the caller imports nothing unless all lines are good.
 */
export function parseSitesCsv(text: string): {
  sites: SiteInput[];
  problems: Array<{ line: number; message: string }>;
} {
  const problems: Array<{ line: number; message: string }> = [];
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    // info.lines: the line a record ends on, so blank lines and multi-line quoted names are counted.
    // csv-parse's types do not follow `info: true` into the result's shape.
    records = parse(text, {
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      info: true,
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  } catch (err) {
    return { sites: [], problems: [{ line: 0, message: `not a CSV file: ${(err as Error).message}` }] };
  }
  const header = records[0]?.record;
  const rows = records.slice(1);
  const at = Object.fromEntries((header ?? []).map((h, i) => [h.toLowerCase(), i]));
  const missing = ['site', 'name', 'district', 'ward'].filter((c) => at[c] === undefined);
  if (missing.length > 0)
    return {
      sites: [],
      problems: [
        { line: 1, message: `thiếu cột / missing columns: ${missing.join(', ')} (site,name,district,ward)` },
      ],
    };
  const sites: SiteInput[] = [];
  const withAddress = at.address !== undefined;
  const seen = new Set<string>();
  for (const { record: r, info } of rows) {
    const line = info.lines;
    const get = (c: string) => r[at[c] as number] ?? '';
    const site: SiteInput = {
      site: get('site'),
      name: get('name'),
      district: get('district'),
      ward: get('ward'),
    };
    if (withAddress) site.address = get('address');
    const bad = (['site', 'district', 'ward'] as const).filter((k) => !CODE.test(site[k]));
    if (bad.length > 0)
      problems.push({ line, message: `${bad.join(', ')}: letters, digits, - and _ only (1–64)` });
    else if (site.name === '' || site.name.length > 200)
      problems.push({ line, message: 'name: 1–200 characters' });
    else if ((site.address ?? '').length > 300)
      problems.push({ line, message: 'address: at most 300 characters' });
    else if (seen.has(site.site)) problems.push({ line, message: `site ${site.site} appears twice` });
    else {
      seen.add(site.site);
      sites.push(site);
    }
  }
  return { sites, problems };
}
