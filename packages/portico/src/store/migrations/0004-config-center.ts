import { type Kysely, sql } from 'kysely';

/**
 * The config center (docs/config-center.md): one entry per tenant and service, and the log of
 * every write, whose `revision` orders all writes (a watch resumes from one). Writes take one
 * advisory lock, so revisions commit in order and a reader of "after N" never skips one.
 */
const STATEMENTS = [
  `create table config_changes (
    revision bigserial primary key,
    tenant text not null references tenants (name) on delete cascade,
    service text not null,
    kind text not null,
    "values" jsonb not null,
    actor text not null,
    at timestamptz not null default now()
  )`,
  'create index config_changes_tenant on config_changes (tenant, revision)',
  `create table config_entries (
    tenant text not null references tenants (name) on delete cascade,
    service text not null,
    "values" jsonb not null,
    revision bigint not null,
    updated_by text not null,
    updated_at timestamptz not null default now(),
    primary key (tenant, service)
  )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db);
}
