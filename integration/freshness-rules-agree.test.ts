/**
 * Issue #19: the hub reads a rules file's `limits` before signing it (hub/src/rules-text.ts) so the office hears
 * of a bad limit at once instead of from a fleet that refuses the file. The oracle is the kiosk's own parser
 * (gateway/src/decide/rules.ts parseRuleSet, Ajv over RuleSetSchema): for any limits the hub signs exactly what a
 * kiosk accepts, and the envelope the hub signs arrives at the kiosk with the limits intact.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeyRing, LimitsSchema } from '@qrkiosk/protocol';
import { REPO_ROOT } from '@qrkiosk/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRuleSet, RuleSetSchema, verifyRules } from '../gateway/src/decide/rules.js';
import { signedRulesEnvelope } from '../hub/src/publish.js';
import { RulesTextError, readRulesText } from '../hub/src/rules-text.js';

const BASE = JSON.parse(
  readFileSync(join(REPO_ROOT, 'gateway/assets/rules/default-rules.json'), 'utf8'),
) as Record<string, unknown>;

const hubAccepts = (text: string) => {
  try {
    readRulesText(text, 'rules.json');
    return true;
  } catch (err) {
    if (err instanceof RulesTextError) return false;
    throw err;
  }
};
const kioskAccepts = (text: string) => {
  try {
    parseRuleSet(JSON.parse(text), 'rules.json');
    return true;
  } catch {
    return false;
  }
};

describe('rules limits: the hub signs what a kiosk accepts', () => {
  it("the kiosk's rules schema holds protocol's LimitsSchema, not a copy of its own (review #13)", () => {
    expect(LimitsSchema?.properties.maxAgeHours).toBeDefined();
    expect(RuleSetSchema.properties.limits).toMatchObject({ ...LimitsSchema });
  });

  it('agrees with the kiosk parser on any limits', () => {
    const hours = fc.oneof(
      fc.integer({ min: -2, max: 9000 }),
      fc.constant(null),
      fc.constantFrom(1.5, 0, 8760, 8761, '24', true),
    );
    const kind = fc.constantFrom('facts', 'rules', 'trust', 'revocation', 'cache', 'Facts');
    const maxAgeHours = fc.dictionary(kind, hours, { maxKeys: 5 });
    const limits = fc.oneof(
      fc.record({ maxAgeHours }),
      fc.record({ maxAgeHours, other: fc.constant(1) }),
      fc.constantFrom(undefined, null, [], 'x', {}, { maxAgeHours: null }, { maxAgeHours: [] }),
    );
    const seen = { accepted: 0, refused: 0 };
    fc.assert(
      fc.property(limits, (l) => {
        const text = JSON.stringify(l === undefined ? BASE : { ...BASE, limits: l });
        const kiosk = kioskAccepts(text);
        expect(hubAccepts(text)).toBe(kiosk);
        seen[kiosk ? 'accepted' : 'refused']++;
      }),
      { numRuns: 500 },
    );
    // Both sides of the line were drawn (not 500 refusals of a broken base file).
    expect(seen.accepted).toBeGreaterThan(20);
    expect(seen.refused).toBeGreaterThan(20);
  });

  it("a kiosk verifies the hub's envelope and reads the limits the hub reported", () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const ring = new KeyRing();
    ring.add(publicKey);
    const text = JSON.stringify({
      ...BASE,
      version: 'v-limits',
      limits: { maxAgeHours: { facts: 24, trust: null } },
    });
    const envelope = JSON.parse(signedRulesEnvelope(text, { privateKey, publicKey })) as {
      rules: string;
      signature: unknown;
    };
    const onKiosk = verifyRules(Buffer.from(envelope.rules, 'utf8'), envelope.signature, ring, 'fleet/rules');
    expect(onKiosk.limits).toEqual({ maxAgeHours: { facts: 24, trust: null } });
    expect(readRulesText(text, 'rules.json')).toEqual({
      version: onKiosk.version,
      maxAgeHours: { facts: 24, rules: 48, trust: null, revocation: 48, passes: 48 },
    });
  });
});
