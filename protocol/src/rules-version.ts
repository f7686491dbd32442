/**
 * Rules versions only go up. A signed rules file stays signed for ever, so an old one captured from
 * the retained `fleet/rules` topic could otherwise be installed again (a rollback to looser rules).
 * Versions are compared in natural order — runs of digits as numbers, the rest as text — so
 * `province-2021-12-01` > `province-2021-11-30` and `v10` > `v9`. Returns <0, 0 or >0.
 */
export function compareRulesVersions(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) {
      const d = BigInt(x) - BigInt(y);
      if (d !== 0n) return d < 0n ? -1 : 1;
    } else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
