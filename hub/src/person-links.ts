import type { LinkStorage } from './storage/index.js';

/**
 * One person across documents: a walk over the identity links (storage/links.ts). Documents of one
 * scan are linked to each other (1 hop: CCCD–CMND); imported documents are linked to their person node
 * (2 hops: BHYT → person → CCCD); a scan link beside an imported one makes 3 (CMND → CCCD → person →
 * BHYT). Further than that is not followed: a wrong link (a typo in an import, a shared person key)
 * must not merge a whole district into one person, so the walk is bounded in hops and in hashes.
 * The hashes found include person nodes (hashPersonKey), which have no check-ins of their own.
 */
export const MAX_HOPS = 3;
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
 * Each given hash → one representative of its person: the smallest hash of the group it falls in. One
 * walk from all of them together (MAX_HOPS, at most PER_HASH hashes per given hash), then groups as
 * connected parts of the edges seen, so two given hashes of one person always share a representative
 * when the walk joined them — even when neither reaches the other's smallest hash alone.
 */
export async function groupPeople(
  links: LinkStorage,
  idHashes: ReadonlyArray<string>,
): Promise<Map<string, string>> {
  const parent = new Map<string, string>();
  const root = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r) as string;
    // Path halving is not needed at these sizes; pointing x at the root keeps later finds short.
    parent.set(x, r);
    return r;
  };
  const join = (x: string, y: string) => {
    const [rx, ry] = [root(x), root(y)];
    if (rx === ry) return;
    // The smaller hash stays the root: the representative is then just the root.
    if (rx < ry) parent.set(ry, rx);
    else parent.set(rx, ry);
  };
  const given = [...new Set(idHashes)];
  for (const h of given) parent.set(h, h);
  const budget = given.length * PER_HASH;
  let frontier = given;
  for (let hop = 0; hop < MAX_HOPS && frontier.length > 0 && parent.size < budget; hop++) {
    const next: string[] = [];
    for (const [a, b] of await links.neighbours(frontier)) {
      if (!parent.has(b)) {
        if (parent.size >= budget) continue;
        parent.set(b, b);
        next.push(b);
      }
      join(a, b);
    }
    frontier = next;
  }
  return new Map(idHashes.map((h) => [h, root(h)]));
}
