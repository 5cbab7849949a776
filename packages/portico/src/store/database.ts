import type { ColumnType, Generated } from 'kysely';

/**
 * A `jsonb` column: read as the parsed value, written as JSON text. Both drivers pass text
 * through to `jsonb` unchanged, whereas `pg` would turn a JS array into a Postgres array.
 */
export type Json<T> = ColumnType<T, string, string>;

/** A `timestamptz` both drivers return as a `Date`. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;

/** A `timestamptz` with a database default (`now()`), optional on insert. */
export type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

/** A nullable `timestamptz`. */
export type NullableTimestamp = ColumnType<Date | null, Date | string | null, Date | string | null>;

/** The `tenants` table: one row per tenant, including the built-in `platform`. */
export interface TenantsTable {
  name: string;
  display_name: string;
  /** Defaults to `active`. */
  status: ColumnType<'active' | 'disabled', 'active' | 'disabled' | undefined, 'active' | 'disabled'>;
  enabled_services: Json<string[]>;
  config: Json<Record<string, unknown>>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

/** The `users` table; `username` is stored lowercase and unique per tenant. */
export interface UsersTable {
  id: string;
  tenant: string;
  username: string;
  email: string | null;
  password_hash: string;
  roles: Json<string[]>;
  active: boolean;
  last_login_at: NullableTimestamp;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

/** The `roles` table: custom roles of a tenant (built-in roles live in code). */
export interface RolesTable {
  tenant: string;
  name: string;
  description: string;
  permissions: Json<string[]>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

/** The `refresh_tokens` table: one row per issued refresh token, grouped into families. */
export interface RefreshTokensTable {
  id: string;
  token_hash: string;
  family_id: string;
  user_id: string;
  tenant: string;
  created_at: DefaultTimestamp;
  expires_at: Timestamp;
  family_expires_at: Timestamp;
  used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

/** The `signing_keys` table: the JWT key ring. */
export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: Json<Record<string, unknown>>;
  /** The private JWK, sealed by the store's secret box (`enc:v1:…`); never in clear. */
  private_jwk: string;
  created_at: DefaultTimestamp;
  /** Set when a newer key took over; the key still verifies until `verify_until`. */
  retired_at: NullableTimestamp;
  verify_until: NullableTimestamp;
}

/** The `api_keys` table; only an HMAC of the secret part is kept. */
export interface ApiKeysTable {
  id: string;
  tenant: string;
  name: string;
  prefix: string;
  secret_hash: string;
  scopes: Json<string[]>;
  expires_at: NullableTimestamp;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  created_by: string;
  created_at: DefaultTimestamp;
}

/** The `service_clients` table: client-credentials clients. */
export interface ServiceClientsTable {
  id: string;
  tenant: string;
  client_id: string;
  name: string;
  secret_hash: string;
  scopes: Json<string[]>;
  active: boolean;
  last_used_at: NullableTimestamp;
  created_by: string;
  created_at: DefaultTimestamp;
}

/** The `audit_log` table: one row per admin write or security event. */
export interface AuditLogTable {
  id: Generated<string>;
  at: DefaultTimestamp;
  actor: string;
  actor_tenant: string | null;
  tenant: string | null;
  action: string;
  target: string;
  changes: Json<Record<string, unknown>>;
  request_id: string | null;
  ip: string | null;
}

/** The `token_revocations` table: subjects and sessions whose access tokens stop verifying early. */
export interface TokenRevocationsTable {
  kind: 'user' | 'session';
  id: string;
  not_before: Timestamp;
  expires_at: Timestamp;
}

/** The `identity_settings` table: small values created once, such as the secret-hash key. */
export interface IdentitySettingsTable {
  key: string;
  value: string;
}

/**
 * The `store_data_keys` table: the data keys that seal the store's secrets, each wrapped
 * (AES-256-GCM) by the key-encryption key `kek_id` from the configuration.
 */
export interface StoreDataKeysTable {
  id: string;
  kek_id: string;
  /** base64url of iv | wrapped key | tag. */
  wrapped: string;
  created_at: DefaultTimestamp;
  wrapped_at: DefaultTimestamp;
}

/** Every table of the store, for Kysely. */
export interface Database {
  tenants: TenantsTable;
  users: UsersTable;
  roles: RolesTable;
  refresh_tokens: RefreshTokensTable;
  signing_keys: SigningKeysTable;
  api_keys: ApiKeysTable;
  service_clients: ServiceClientsTable;
  audit_log: AuditLogTable;
  token_revocations: TokenRevocationsTable;
  identity_settings: IdentitySettingsTable;
  store_data_keys: StoreDataKeysTable;
}
