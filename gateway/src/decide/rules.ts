import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { COLOURS, type KeyRing, LimitsSchema, signBytes, VERDICTS, verifyBytes } from '@qrkiosk/protocol';
import { type Static, Type } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { validate as validateCertLogic } from 'certlogic-js/dist/validation/index.js';

/**
 * Rules as data: colour rules and refusals are CertLogic expressions (the EU's declarative rule
 * language, evaluated by certlogic-js); admission is a table of colours per epidemic level. The
 * hub signs a rules file; without one the kiosk uses the built-in rules shipped in assets/.
 */
const Colour = Type.Union(COLOURS.map((c) => Type.Literal(c)));
const VerdictT = Type.Union(VERDICTS.map((v) => Type.Literal(v)));
const Level = Type.Integer({ minimum: 1, maximum: 4 });
const Logic = Type.Unknown();
const Code = Type.String({ pattern: '^[a-z0-9-]{1,64}$' });
const Admit = Type.Object({
  '1': Type.Array(Colour),
  '2': Type.Array(Colour),
  '3': Type.Array(Colour),
  '4': Type.Array(Colour),
});

/** Most people inside a site at once, per level (Resolution 128's caps); a level left out has none. */
const MaxInside = Type.Partial(
  Type.Object({
    '1': Type.Integer({ minimum: 0, maximum: 1_000_000 }),
    '2': Type.Integer({ minimum: 0, maximum: 1_000_000 }),
    '3': Type.Integer({ minimum: 0, maximum: 1_000_000 }),
    '4': Type.Integer({ minimum: 0, maximum: 1_000_000 }),
  }),
  { additionalProperties: false },
);

export const RuleSetSchema = Type.Object({
  schema: Type.Literal('qrkiosk.rules/1'),
  version: Type.String({ minLength: 1, maxLength: 64 }),
  description: Type.Optional(Type.String()),
  colour: Type.Object({
    rules: Type.Array(Type.Object({ id: Code, colour: Colour, reason: Code, logic: Logic })),
    otherwise: Type.Object({ colour: Colour, reason: Code }),
  }),
  refuse: Type.Array(Type.Object({ id: Code, reason: Code, logic: Logic })),
  admit: Admit,
  unknownPerson: VerdictT,
  level: Type.Object({ default: Level, sites: Type.Optional(Type.Record(Type.String(), Level)) }),
  // Issue #19: per kind, the hours data may age before its admissions become REVIEW (protocol's schema).
  limits: Type.Optional(LimitsSchema),
  sites: Type.Optional(
    Type.Record(
      Type.String(),
      Type.Object({
        admit: Type.Optional(Admit),
        unknownPerson: Type.Optional(VerdictT),
        maxInside: Type.Optional(MaxInside),
        // Issue #19: decide, light and open as usual, but keep no register (only a count) at this site.
        verifyOnly: Type.Optional(Type.Boolean()),
      }),
    ),
  ),
});
export type RuleSet = Static<typeof RuleSetSchema>;

const checkShape = new Ajv({ allErrors: true, strict: false }).compile(RuleSetSchema);

export class RulesError extends Error {}

/** Checks a parsed rules document: shape, then every CertLogic expression. */
export function parseRuleSet(value: unknown, source: string): RuleSet {
  if (!checkShape(value)) {
    const first = checkShape.errors
      ?.slice(0, 3)
      .map((e) => `${e.instancePath || '/'} ${e.message}`)
      .join('; ');
    throw new RulesError(`${source}: not a qrkiosk rules file: ${first}`);
  }
  const rules = value as RuleSet;
  for (const r of [...rules.colour.rules, ...rules.refuse]) {
    const problems = validateCertLogic(r.logic as never);
    if (problems.length > 0) throw new RulesError(`${source}: rule ${r.id}: ${problems[0]?.message}`);
  }
  return rules;
}

const BUILTIN_FILE = new URL('../../assets/rules/default-rules.json', import.meta.url);
let builtin: RuleSet | undefined;

/** The rules shipped with the gateway (Khánh Hòa colours, admission by level). */
export function builtinRules(): RuleSet {
  builtin ??= parseRuleSet(JSON.parse(readFileSync(BUILTIN_FILE, 'utf8')), 'built-in rules');
  return builtin;
}

const CONTEXT = Buffer.from('qrkiosk-rules/1\n', 'ascii');

/** The detached signature stored next to a rules file as `<file>.sig`. */
export interface RulesSignature {
  keyId: string;
  signature: string;
}

export function signRules(fileBytes: Buffer, privateKey: KeyObject, keyId: string): RulesSignature {
  return { keyId, signature: signBytes(privateKey, Buffer.concat([CONTEXT, fileBytes])).toString('base64') };
}

/** Verifies and parses a rules file held in memory (rules arriving over MQTT, before they are written). */
export function verifyRules(bytes: Buffer, sig: unknown, keys: KeyRing, source: string): RuleSet {
  const s = (sig ?? {}) as Partial<RulesSignature>;
  const key = typeof s.keyId === 'string' ? keys.get(s.keyId) : undefined;
  if (!key)
    throw new RulesError(`${source}: signed by key ${String(s.keyId)}, which this kiosk does not trust`);
  if (
    typeof s.signature !== 'string' ||
    !verifyBytes(key, Buffer.concat([CONTEXT, bytes]), Buffer.from(s.signature, 'base64'))
  )
    throw new RulesError(
      `${source}: the signature does not match — the file was altered or not signed by the hub`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new RulesError(`${source}: not JSON`);
  }
  return parseRuleSet(parsed, source);
}

function parseEnvelope(bytes: Buffer): { rules: string; signature: unknown } | null {
  try {
    const v = JSON.parse(bytes.toString('utf8')) as {
      rules?: unknown;
      signature?: unknown;
      schema?: unknown;
    };
    return typeof v.rules === 'string' && v.signature !== undefined && v.schema === undefined
      ? { rules: v.rules, signature: v.signature }
      : null;
  } catch {
    return null;
  }
}

/** Reads `<file>` and `<file>.sig`, verifies, parses. Throws RulesError saying why a file is refused. */
export function loadSignedRules(file: string, keys: KeyRing): RuleSet {
  let bytes: Buffer;
  let sig: RulesSignature;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new RulesError(`${file}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  // A signed envelope {"rules": "<text>", "signature": {…}} in one file (as rules arrive over MQTT) …
  const envelope = parseEnvelope(bytes);
  if (envelope) return verifyRules(Buffer.from(envelope.rules, 'utf8'), envelope.signature, keys, file);
  // … or the rules file with a detached <file>.sig beside it (as a technician copies them).
  try {
    sig = JSON.parse(readFileSync(`${file}.sig`, 'utf8')) as RulesSignature;
  } catch {
    throw new RulesError(`${file}: no readable signature ${file}.sig — unsigned rules are refused`);
  }
  return verifyRules(bytes, sig, keys, file);
}
