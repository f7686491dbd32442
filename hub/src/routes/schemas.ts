import { Direction, ID_PATTERN } from '@qrkiosk/protocol';
import { type Static, Type } from '@sinclair/typebox';
import { REVEAL_REASON, TRACE_CASE_MAX, TRACE_ID_TYPES, TRACE_MAX_WINDOW_MIN } from '../use-cases/trace.js';

/**
 * The shapes of every query and body the hub's routes take, defined once with TypeBox: Fastify
 * validates them (unknown parameters refused, see server.ts) and the handlers are typed from them,
 * so no handler casts what a client sent. A refusal is a 400 in both languages (routes/access.ts).
 */

/** A query string with no parameters: an unknown one is refused (400), not ignored. */
export const NoQuery = Type.Object({}, { additionalProperties: false });

/** A body that carries nothing: absent, or `{}`. */
export const NoBody = Type.Union([Type.Null(), Type.Object({}, { additionalProperties: false })]);

/** The shape of a day before the strict check (a real calendar day) in the handler. */
const DayField = Type.String({ maxLength: 10 });
/** An area is `district:<code>` or `ward:<code>`: bounded, because it reaches the audit log. */
const AreaField = Type.String({ maxLength: 70, pattern: '^(district|ward):[A-Za-z0-9_-]{1,64}$' });
/** A site, district or ward code: letters, digits, - and _. */
const Code = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });

export const CheckinsQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) },
  { additionalProperties: false },
);
export type CheckinsQuery = Static<typeof CheckinsQuery>;

const Site = Type.Object(
  {
    site: Code,
    name: Type.String({ maxLength: 200 }),
    district: Code,
    ward: Code,
    /** Street address for the F1 list; absent keeps the stored one. */
    address: Type.Optional(Type.String({ maxLength: 300 })),
  },
  { additionalProperties: false },
);
/** One site or a list of them (the register, as `site import` takes it from a CSV). */
export const SitesBody = Type.Union([Site, Type.Array(Site)]);
export type SitesBody = Static<typeof SitesBody>;

export const LoginBody = Type.Object(
  { phone: Type.String({ maxLength: 40 }), password: Type.String({ maxLength: 200 }) },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

export const ReportQuery = Type.Object(
  {
    day: Type.Optional(DayField),
    area: Type.Optional(AreaField),
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
  },
  { additionalProperties: false },
);
export type ReportQuery = Static<typeof ReportQuery>;

/** The printable report takes no format (it is a page). */
export const PrintQuery = Type.Object(
  { day: Type.Optional(DayField), area: Type.Optional(AreaField) },
  { additionalProperties: false },
);
export type PrintQuery = Static<typeof PrintQuery>;

export const TraceBody = Type.Object(
  {
    type: Type.Union(TRACE_ID_TYPES.map((t) => Type.Literal(t))),
    id: Type.String({ maxLength: 40 }),
    from: DayField,
    to: DayField,
    window: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: TRACE_MAX_WINDOW_MIN })),
    f2: Type.Optional(Type.Boolean()),
    case: Type.Optional(Type.String({ maxLength: TRACE_CASE_MAX })),
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('print')])),
    // The tracing private key (PEM text, read in the browser) for this request only: used to open
    // the co-visitors' sealed identities, then dropped — never logged, stored or audited.
    reveal: Type.Optional(
      Type.Object(
        {
          key: Type.String({ minLength: 1, maxLength: 4096 }),
          reason: Type.String({ minLength: REVEAL_REASON.min, maxLength: REVEAL_REASON.max }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type TraceBody = Static<typeof TraceBody>;

/** A new enrolment code from the page (admin): the same fields as `qrkiosk-hub kiosk add`. */
export const EnrolmentCodeBody = Type.Object(
  {
    site: Type.String({ pattern: ID_PATTERN }),
    kiosk: Type.String({ pattern: ID_PATTERN }),
    direction: Type.Optional(Direction),
    hours: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 720 })),
  },
  { additionalProperties: false },
);
export type EnrolmentCodeBody = Static<typeof EnrolmentCodeBody>;

/** A kiosk named in a path (/api/kiosks/:kiosk). */
export const KioskParams = Type.Object(
  { kiosk: Type.String({ pattern: ID_PATTERN }) },
  { additionalProperties: false },
);
export type KioskParams = Static<typeof KioskParams>;
