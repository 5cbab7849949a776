import { type Kysely, sql } from 'kysely';

/**
 * The scheduler (docs/scheduler.md): schedules per tenant, and their runs. `cursor_at` is the
 * latest tick already handled (claimed, or passed over while paused); a process claims a tick
 * by moving it forward under the row's lock, so only one of several processes ever does. The
 * unique `(schedule_id, scheduled_at)` makes a second run of one tick impossible whatever happens.
 */
const STATEMENTS = [
  `create table scheduler_schedules (
    id bigserial primary key,
    tenant text not null references tenants (name) on delete cascade,
    name text not null,
    spec jsonb not null,
    enabled boolean not null default true,
    cursor_at timestamptz not null,
    last_success_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    updated_by text not null,
    unique (tenant, name)
  )`,
  `create table scheduler_runs (
    id bigserial primary key,
    schedule_id bigint not null references scheduler_schedules (id) on delete cascade,
    trigger text not null,
    scheduled_at timestamptz not null,
    started_at timestamptz,
    finished_at timestamptz,
    attempt integer not null default 0,
    outcome text not null,
    error text,
    lease_until timestamptz,
    unique (schedule_id, scheduled_at)
  )`,
  'create index scheduler_runs_history on scheduler_runs (schedule_id, id desc)',
  `create index scheduler_runs_running on scheduler_runs (lease_until) where outcome = 'running'`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db);
}
