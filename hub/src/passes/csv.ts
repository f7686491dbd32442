import { FactsCsvError, hashIdentity, maskName, parseFactsCsvIdentity } from '@qrkiosk/protocol';

/**
 * A ward's residents without phones, for a batch of passes: a CSV with the facts CSV's `id_type` and
 * `id` columns (same spellings, same checks: protocol's parseFactsCsvIdentity) and `name`. Only the
 * keyed hash (the deployment's hash key, as every kiosk computes it) and the masked name leave this
 * function: the number and the full name are not stored anywhere.
 */
export interface PassPerson {
  idHash: string;
  nameMasked: string;
  line: number;
}

export interface PassCsv {
  people: PassPerson[];
  problems: Array<{ line: number; message: string }>;
}

/** Splits on commas; a cell may be quoted ("…", "" for a quote) so a name with a comma survives. */
function cellsOf(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells.map((c) => c.trim());
}

export function parsePassCsv(text: string, hashKey: Buffer): PassCsv {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const people: PassPerson[] = [];
  const problems: Array<{ line: number; message: string }> = [];
  let at: Record<string, number> | undefined;
  const seen = new Map<string, number>();
  for (const [i, raw] of lines.entries()) {
    const line = i + 1;
    if (raw.trim() === '') continue;
    const cells = cellsOf(raw);
    if (!at) {
      at = Object.fromEntries(cells.map((c, j) => [c.toLowerCase(), j]));
      const missing = ['id_type', 'id', 'name'].filter((c) => at?.[c] === undefined);
      if (missing.length)
        return { people, problems: [{ line, message: `missing column(s): ${missing.join(', ')}` }] };
      continue;
    }
    try {
      const who = parseFactsCsvIdentity(cells, at);
      const name = cells[at.name ?? -1] ?? '';
      if (name === '') throw new FactsCsvError('name is empty');
      const idHash = hashIdentity(hashKey, who.type, who.id).toString('hex');
      // One pass per person per batch: a repeated row is more likely a paste error than a wish for two cards.
      const first = seen.get(idHash);
      if (first !== undefined) throw new FactsCsvError(`the same person as line ${first}`);
      seen.set(idHash, line);
      people.push({ idHash, nameMasked: maskName(name), line });
    } catch (err) {
      if (!(err instanceof FactsCsvError)) throw err;
      problems.push({ line, message: err.message });
    }
  }
  if (!at) problems.push({ line: 1, message: 'empty file: the header id_type,id,name is missing' });
  return { people, problems };
}
