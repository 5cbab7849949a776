import { type Kysely, sql } from 'kysely';

/**
 * The identity schema. Plain SQL that PGlite and PostgreSQL both run; one statement per call,
 * because PGlite's extended protocol takes one statement at a time.
 */
const STATEMENTS = [
  `create table tenants (
    name text primary key,
    display_name text not null,
    status text not null default 'active' check (status in ('active', 'disabled')),
    enabled_services jsonb not null default '[]',
    config jsonb not null default '{}',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create table users (
    id uuid primary key,
    tenant text not null references tenants(name) on delete cascade,
    username text not null,
    email text,
    password_hash text not null,
    roles jsonb not null default '[]',
    active boolean not null default true,
    last_login_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (tenant, username)
  )`,
  `create table roles (
    tenant text not null references tenants(name) on delete cascade,
    name text not null,
    description text not null default '',
    permissions jsonb not null default '[]',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant, name)
  )`,
  `create table refresh_tokens (
    id uuid primary key,
    token_hash text not null unique,
    family_id uuid not null,
    user_id uuid not null references users(id) on delete cascade,
    tenant text not null,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    family_expires_at timestamptz not null,
    used_at timestamptz,
    revoked_at timestamptz
  )`,
  'create index refresh_tokens_family on refresh_tokens (family_id)',
  'create index refresh_tokens_user on refresh_tokens (user_id)',
  `create table signing_keys (
    kid text primary key,
    alg text not null,
    public_jwk jsonb not null,
    private_jwk jsonb not null,
    created_at timestamptz not null default now(),
    retired_at timestamptz,
    verify_until timestamptz
  )`,
  `create table api_keys (
    id uuid primary key,
    tenant text not null references tenants(name) on delete cascade,
    name text not null,
    prefix text not null unique,
    secret_hash text not null,
    scopes jsonb not null default '[]',
    expires_at timestamptz,
    last_used_at timestamptz,
    revoked_at timestamptz,
    created_by text not null,
    created_at timestamptz not null default now()
  )`,
  'create index api_keys_tenant on api_keys (tenant)',
  `create table service_clients (
    id uuid primary key,
    tenant text not null references tenants(name) on delete cascade,
    client_id text not null unique,
    name text not null,
    secret_hash text not null,
    scopes jsonb not null default '[]',
    active boolean not null default true,
    last_used_at timestamptz,
    created_by text not null,
    created_at timestamptz not null default now()
  )`,
  `create table audit_log (
    id bigserial primary key,
    at timestamptz not null default now(),
    actor text not null,
    actor_tenant text,
    tenant text,
    action text not null,
    target text not null,
    changes jsonb not null default '{}',
    request_id text,
    ip text
  )`,
  'create index audit_log_tenant on audit_log (tenant, id)',
  `create table token_revocations (
    kind text not null check (kind in ('user', 'session')),
    id text not null,
    not_before timestamptz not null,
    expires_at timestamptz not null,
    primary key (kind, id)
  )`,
  `create table identity_settings (
    key text primary key,
    value text not null
  )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db);
}
