import type { LinkStorage } from './storage/index.js';

/**
 * One person across documents: a walk over the identity links (storage/links.ts). Documents of one
 * scan are linked to each other (1 hop: CCCD–CMND); imported documents are linked to their person node
 * (2 hops: BHYT → person → CCCD); a scan link at each end makes 4, the longest natural chain (CMND →
 * CCCD → person → BHXH → old BHYT card number). Further than that is not followed: a wrong link (a typo
 * in an import, a shared person key) must not merge a whole district into one person, so the walk is
 * bounded in hops, in hashes, and in links read per hash (storage/links.ts MAX_DEGREE).
 * The hashes found include person nodes (hashPersonKey), which have no check-ins of their own.
 */
export const MAX_HOPS = 4;
/** Hashes groupPeople follows per hash it is given, at most: the same bound as one person's walk. */
const PER_HASH = 64;

/**
 * The hashes linked to `idHash` within MAX_HOPS, `idHash` first, then by hop and in hash order within
 * a hop (the same answer every time), at most `limit`.
 */
export async function personHashes(links: LinkStorage, idHash: string, limit = 64): Promise<string[]> {
  const found = [idHash];
  const seen = new Set(found);
  let frontier = [idHash];
  for (let hop = 0; hop < MAX_HOPS && frontier.length > 0 && found.length < limit; hop++) {
    const next = [...new Set((await links.neighbours(frontier)).map(([, b]) => b))]
      .filter((b) => !seen.has(b))
      .sort();
    frontier = next.slice(0, limit - found.length);
    for (const b of frontier) {
      seen.add(b);
      found.push(b);
    }
  }
  return found;
}

/**
 * Each given hash → one representative of its person (the smallest given hash of its group). Two
 * given hashes are one person when a path of at most MAX_HOPS links joins them — the bound a trace
 * walks by (personHashes), not more: walks from both ends meeting in the middle would join documents
 * up to twice as far apart. One walk from all of them together reads the links (MAX_HOPS, at most
 * PER_HASH hashes per given hash); distances are then counted in memory over the links read.
 */
export async function groupPeople(
  links: LinkStorage,
  idHashes: ReadonlyArray<string>,
): Promise<Map<string, string>> {
  const given = [...new Set(idHashes)];
  const adjacent = new Map<string, Set<string>>();
  const budget = given.length * PER_HASH;
  const known = new Set(given);
  let frontier = given;
  for (let hop = 0; hop < MAX_HOPS && frontier.length > 0; hop++) {
    const next: string[] = [];
    for (const [a, b] of await links.neighbours(frontier)) {
      if (!known.has(b)) {
        if (known.size >= budget) continue;
        known.add(b);
        next.push(b);
      }
      const out = adjacent.get(a) ?? new Set<string>();
      out.add(b);
      adjacent.set(a, out);
    }
    frontier = next;
  }
  const parent = new Map<string, string>(given.map((h) => [h, h]));
  const root = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r) as string;
    parent.set(x, r);
    return r;
  };
  const isGiven = new Set(given);
  for (const h of given) {
    // Breadth first from h over the links read, MAX_HOPS deep: every given hash met is h's person.
    const seen = new Set([h]);
    let layer = [h];
    for (let hop = 0; hop < MAX_HOPS && layer.length > 0; hop++) {
      const nextLayer: string[] = [];
      for (const x of layer)
        for (const y of adjacent.get(x) ?? []) {
          if (seen.has(y)) continue;
          seen.add(y);
          nextLayer.push(y);
          if (isGiven.has(y)) {
            // The smaller hash stays the root: the representative is then just the root.
            const [rx, ry] = [root(h), root(y)];
            if (rx < ry) parent.set(ry, rx);
            else if (ry < rx) parent.set(rx, ry);
          }
        }
      layer = nextLayer;
    }
  }
  return new Map(idHashes.map((h) => [h, root(h)]));
}
