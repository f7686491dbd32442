import { type Static, Type } from '@sinclair/typebox';

/** What a scanned payload turned out to be. Shared by decoder, journal, uplink and hub. */
export const DocumentKind = Type.Union(
  [
    Type.Literal('cccd'),
    Type.Literal('bhyt'),
    Type.Literal('personal-qr'),
    Type.Literal('dcc'),
    Type.Literal('location'),
    Type.Literal('unknown'),
    Type.Literal('manual'),
  ],
  { description: 'Kind of code scanned (manual = entered by hand at reception)' },
);
export type DocumentKind = Static<typeof DocumentKind>;

export const Verdict = Type.Union([Type.Literal('ALLOW'), Type.Literal('REFUSE'), Type.Literal('REVIEW')]);
export type Verdict = Static<typeof Verdict>;

/** Thẻ Covid colour; null when the kiosk knows no facts about the person. */
export const Colour = Type.Union([
  Type.Literal('green'),
  Type.Literal('yellow'),
  Type.Literal('red'),
  Type.Null(),
]);
export type Colour = Static<typeof Colour>;

export const Direction = Type.Union([Type.Literal('in'), Type.Literal('out')]);
export type Direction = Static<typeof Direction>;

export const KioskState = Type.Union([Type.Literal('online'), Type.Literal('offline')]);
export type KioskState = Static<typeof KioskState>;

/**
 * Kiosk and site ids become MQTT topic levels, so they must never contain `/`, `+` or `#`.
 * Lower-case letters, digits, `-` and `_` keep them readable in ACL files and shell commands too.
 */
export const ID_PATTERN = '^[a-z0-9][a-z0-9_-]{0,63}$';
const ID_RE = new RegExp(ID_PATTERN);
/** A kiosk or site id of the one shape above (settings, payloads, topic levels, the hub's registry). */
export const isId = (value: unknown): value is string => typeof value === 'string' && ID_RE.test(value);
