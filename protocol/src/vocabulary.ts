import { type Static, Type } from '@sinclair/typebox';

/**
 * The words kiosk, hub and screens share, each once: a const array (for code that lists or checks them)
 * and the TypeBox schema built from it (for payloads), so the two cannot drift apart.
 */
const literals = <T extends string>(words: readonly T[]) => words.map((w) => Type.Literal(w));

/** What a scanned payload turned out to be (manual = entered by hand at reception; pass = a printed qrkiosk pass, issue #20). */
export const DOCUMENT_KINDS = [
  'cccd',
  'bhyt',
  'personal-qr',
  'dcc',
  'location',
  'unknown',
  'manual',
  'pass',
] as const;
/** What a scanned payload turned out to be. Shared by decoder, journal, uplink and hub. */
export const DocumentKind = Type.Union(literals(DOCUMENT_KINDS), {
  description: 'Kind of code scanned (manual = entered by hand at reception)',
});
export type DocumentKind = Static<typeof DocumentKind>;

/** Admission verdicts, from most to least admitting. */
export const VERDICTS = ['ALLOW', 'REFUSE', 'REVIEW'] as const;
export const Verdict = Type.Union(literals(VERDICTS));
export type Verdict = Static<typeof Verdict>;
export const isVerdict = (value: unknown): value is Verdict =>
  (VERDICTS as readonly unknown[]).includes(value);

/** Thẻ Covid card colours. */
export const COLOURS = ['green', 'yellow', 'red'] as const;
export type CardColour = (typeof COLOURS)[number];
/** Thẻ Covid colour; null when the kiosk knows no facts about the person. */
export const Colour = Type.Union([...literals(COLOURS), Type.Null()]);
export type Colour = Static<typeof Colour>;

export const DIRECTIONS = ['in', 'out'] as const;
export const Direction = Type.Union(literals(DIRECTIONS));
export type Direction = Static<typeof Direction>;

/**
 * Identity key types. `uvci` names a vaccine passport's certificate (DCCs carry no identity-document
 * number); `phone` keys a visitor checked in by hand at reception. TRACEABLE_ID_TYPES: what an officer
 * may trace by (a UVCI is not a person's number).
 */
export const ID_TYPES = ['cccd', 'cmnd', 'passport', 'qid', 'bhyt', 'bhxh', 'uvci', 'phone'] as const;
export type IdType = (typeof ID_TYPES)[number];
export const TRACEABLE_ID_TYPES = [
  'cccd',
  'cmnd',
  'passport',
  'qid',
  'bhyt',
  'bhxh',
  'phone',
] as const satisfies readonly IdType[];

export const KIOSK_STATES = ['online', 'offline'] as const;
export const KioskState = Type.Union(literals(KIOSK_STATES));
export type KioskState = Static<typeof KioskState>;

/**
 * Kiosk and site ids become MQTT topic levels, so they must never contain `/`, `+` or `#`.
 * Lower-case letters, digits, `-` and `_` keep them readable in ACL files and shell commands too.
 */
export const ID_PATTERN = '^[a-z0-9][a-z0-9_-]{0,63}$';
const ID_RE = new RegExp(ID_PATTERN);
/** A kiosk or site id of the one shape above (settings, payloads, topic levels, the hub's registry). */
export const isId = (value: unknown): value is string => typeof value === 'string' && ID_RE.test(value);
