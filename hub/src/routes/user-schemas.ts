import { type Static, Type } from '@sinclair/typebox';
import { ROLES } from '../users.js';

/**
 * The bodies of the user routes (routes/users.ts), TypeBox as in schemas.ts: unknown fields are
 * refused (400). Lengths only bound what is read; the rules (a Vietnamese phone, 10 characters of
 * password, a valid scope and address) are the use cases', the same for the CLI.
 */
const Phone = Type.String({ maxLength: 40 });
const Password = Type.String({ maxLength: 200 });
const Role = Type.Union(ROLES.map((r) => Type.Literal(r)));
const Scope = Type.Array(Type.String({ maxLength: 70 }), { minItems: 1, maxItems: 500 });
const Email = Type.Union([Type.String({ maxLength: 254 }), Type.Null()]);

export const UserParams = Type.Object({ phone: Phone }, { additionalProperties: false });
export type UserParams = Static<typeof UserParams>;

export const NewUserBody = Type.Object(
  {
    phone: Phone,
    role: Role,
    sites: Scope,
    email: Type.Optional(Email),
    /** None: the answer carries a one-time code instead. */
    password: Type.Optional(Password),
  },
  { additionalProperties: false },
);
export type NewUserBody = Static<typeof NewUserBody>;

export const UserEditBody = Type.Object(
  {
    role: Type.Optional(Role),
    sites: Type.Optional(Scope),
    email: Type.Optional(Email),
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UserEditBody = Static<typeof UserEditBody>;

export const PasswordBody = Type.Object(
  { oldPassword: Password, newPassword: Password },
  { additionalProperties: false },
);
export type PasswordBody = Static<typeof PasswordBody>;

export const ResetBody = Type.Object(
  { phone: Phone, code: Type.String({ maxLength: 40 }), password: Password },
  { additionalProperties: false },
);
export type ResetBody = Static<typeof ResetBody>;
