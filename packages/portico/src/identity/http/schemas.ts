// For the OpenAPI fields (tags, summary, security) it adds to route schemas.
import type {} from '@fastify/swagger';
import { Type } from '@sinclair/typebox';
import { StringEnum } from '../../config/schema.js';
import { PERMISSION_PATTERN } from '../permissions.js';

/** Bounded, validated shapes for every identity request; unknown fields are refused everywhere. */

export const TenantName = Type.String({ pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$', maxLength: 63 });
export const Username = Type.String({ pattern: '^[A-Za-z0-9._@+-]{1,64}$', maxLength: 64 });
/** Long enough for passphrases, short enough that hashing it is cheap. */
export const Password = Type.String({ minLength: 8, maxLength: 256 });
/** The password presented at login: any length up to the bound, so a short one fails like a wrong one. */
export const PresentedPassword = Type.String({ minLength: 1, maxLength: 256 });
export const Email = Type.String({ pattern: '^[^\\s@]{1,64}@[^\\s@]{1,189}$', maxLength: 254 });
export const RoleName = Type.String({ pattern: '^[a-z][a-z0-9_.-]{0,63}$', maxLength: 64 });
export const Permission = Type.String({ pattern: PERMISSION_PATTERN, maxLength: 129 });
export const Permissions = Type.Array(Permission, { maxItems: 256, uniqueItems: true });
export const Uuid = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
export const DisplayName = Type.String({ minLength: 1, maxLength: 200 });
export const ItemName = Type.String({ minLength: 1, maxLength: 100 });
export const ServiceName = Type.String({ pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$', maxLength: 63 });
export const RefreshToken = Type.String({ minLength: 1, maxLength: 512 });
export const Cursor = Type.String({ pattern: '^[0-9]{1,18}$' });
/** Query strings are text and types are not coerced: a page size is digits, read with `pageSize`. */
export const Limit = Type.String({ pattern: '^[1-9][0-9]{0,2}$' });

/** The page size a `limit` query parameter asks for: 50 when absent, at most 200. */
export const pageSize = (limit: string | undefined): number => Math.min(Number(limit ?? 50), 200);
export const TenantConfig = Type.Record(Type.String({ maxLength: 200 }), Type.Unknown(), { maxProperties: 500 });
export const TenantStatus = StringEnum(['active', 'disabled'] as const);

export const TenantParams = Type.Object({ tenant: TenantName });
export const TenantIdParams = Type.Object({ tenant: TenantName, id: Uuid });
export const TenantRoleParams = Type.Object({ tenant: TenantName, role: RoleName });

const strict = { additionalProperties: false } as const;

export const LoginBody = Type.Object({ tenant: TenantName, username: Username, password: PresentedPassword }, strict);
export const RefreshBody = Type.Object({ refreshToken: RefreshToken }, strict);
export const SelfUpdateBody = Type.Object({ email: Type.Union([Email, Type.Null()]) }, strict);
export const PasswordChangeBody = Type.Object({ currentPassword: PresentedPassword, newPassword: Password }, strict);

export const TokenPairSchema = Type.Object({
  accessToken: Type.String(),
  refreshToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer(),
});

export const CreateTenantBody = Type.Object(
  {
    name: TenantName,
    displayName: DisplayName,
    enabledServices: Type.Optional(Type.Array(ServiceName, { maxItems: 256, uniqueItems: true })),
    config: Type.Optional(TenantConfig),
  },
  strict,
);
/** `?force=true` deletes a tenant that still has users (with them); anything else refuses. */
export const DeleteTenantQuery = Type.Object({ force: Type.Optional(StringEnum(['true', 'false'] as const)) }, strict);
export const PatchTenantBody = Type.Object(
  {
    displayName: Type.Optional(DisplayName),
    status: Type.Optional(TenantStatus),
    enabledServices: Type.Optional(Type.Array(ServiceName, { maxItems: 256, uniqueItems: true })),
    config: Type.Optional(TenantConfig),
  },
  { ...strict, minProperties: 1 },
);

const Roles = Type.Array(RoleName, { maxItems: 32, uniqueItems: true });
export const CreateUserBody = Type.Object(
  {
    username: Username,
    email: Type.Optional(Type.Union([Email, Type.Null()])),
    password: Password,
    roles: Type.Optional(Roles),
  },
  strict,
);
export const PatchUserBody = Type.Object(
  {
    email: Type.Optional(Type.Union([Email, Type.Null()])),
    roles: Type.Optional(Roles),
    active: Type.Optional(Type.Boolean()),
    password: Type.Optional(Password),
  },
  { ...strict, minProperties: 1 },
);
export const ListQuery = Type.Object({ limit: Type.Optional(Limit), after: Type.Optional(Username) }, strict);

export const CreateRoleBody = Type.Object(
  { name: RoleName, description: Type.Optional(Type.String({ maxLength: 500 })), permissions: Permissions },
  strict,
);
export const PatchRoleBody = Type.Object(
  { description: Type.Optional(Type.String({ maxLength: 500 })), permissions: Type.Optional(Permissions) },
  { ...strict, minProperties: 1 },
);

export const CreateApiKeyBody = Type.Object(
  {
    name: ItemName,
    scopes: Type.Optional(Permissions),
    expiresAt: Type.Optional(Type.Union([Type.String({ format: 'date-time', maxLength: 40 }), Type.Null()])),
  },
  strict,
);
export const CreateClientBody = Type.Object({ name: ItemName, scopes: Type.Optional(Permissions) }, strict);

export const AuditQuerySchema = Type.Object(
  {
    tenant: Type.Optional(TenantName),
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    action: Type.Optional(Type.String({ pattern: '^[a-z_.-]{1,64}$' })),
    before: Type.Optional(Cursor),
    limit: Type.Optional(Limit),
  },
  strict,
);
