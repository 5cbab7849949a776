import type { ScheduleRun } from '@portico/sdk';
import { type Kysely, sql } from 'kysely';
import type { StoredSpec } from './schedule-spec.js';
import type { Alongside, ClaimedRun, ClaimOptions, ScheduleRecord, ScheduleStorePort } from './schedule-store-port.js';
import { type RunRow, type ScheduleRow, toRecord, toRun } from './sql-rows.js';

const RUN_COLUMNS = sql.raw(
  'r.id, s.tenant, s.name, r.trigger, r.scheduled_at, r.started_at, r.finished_at, r.attempt, r.outcome, r.error',
);

/**
 * The scheduler in the store (PGlite or PostgreSQL: the same SQL). A tick is claimed in one
 * transaction: the conditional `cursor_at` update takes the schedule's row lock, so of several
 * processes that saw the same tick only the first moves the cursor and records the run; the others
 * find the cursor already there and do nothing.
 *
 * @example
 * ```ts
 * const schedules = new SqlScheduleStore(store.db);
 * const run = await schedules.claim(record, { trigger: 'cron', scheduledAt, leaseUntil });
 * ```
 */
export class SqlScheduleStore implements ScheduleStorePort {
  constructor(private readonly db: Kysely<unknown>) {}

  upsert(
    tenant: string,
    name: string,
    spec: StoredSpec,
    enabled: boolean | undefined,
    actor: string,
    alongside?: Alongside,
  ) {
    return this.db.transaction().execute(async (tx) => {
      const now = new Date().toISOString();
      const wanted = enabled === undefined ? null : enabled;
      // A new cron or time zone, or a resume, starts from now: no catch-up of ticks the old settings had.
      const { rows } = await sql<ScheduleRow & { created: boolean }>`
        insert into scheduler_schedules as s (tenant, name, spec, enabled, cursor_at, updated_by)
        values (${tenant}, ${name}, ${JSON.stringify(spec)}::jsonb, coalesce(${wanted}::boolean, true),
                ${now}::timestamptz, ${actor})
        on conflict (tenant, name) do update set
          spec = excluded.spec,
          enabled = coalesce(${wanted}::boolean, s.enabled),
          cursor_at = case
            when s.spec->>'cron' <> excluded.spec->>'cron' or s.spec->>'timezone' <> excluded.spec->>'timezone'
              or (not s.enabled and coalesce(${wanted}::boolean, false))
            then greatest(s.cursor_at, excluded.cursor_at) else s.cursor_at end,
          updated_at = now(), updated_by = excluded.updated_by
        returning *, (xmax = 0) as created`.execute(tx);
      const row = rows[0] as ScheduleRow & { created: boolean };
      await alongside?.(tx);
      return { record: toRecord(row), created: row.created };
    });
  }

  async get(tenant: string, name: string): Promise<ScheduleRecord | undefined> {
    const { rows } = await sql<ScheduleRow>`
      select * from scheduler_schedules where tenant = ${tenant} and name = ${name}`.execute(this.db);
    return rows[0] && toRecord(rows[0]);
  }

  async list(tenant: string | undefined): Promise<ScheduleRecord[]> {
    const { rows } = await sql<ScheduleRow>`
      select * from scheduler_schedules where ${tenant === undefined ? sql`true` : sql`tenant = ${tenant}`}
      order by tenant, name`.execute(this.db);
    return rows.map(toRecord);
  }

  remove(tenant: string, name: string, alongside?: Alongside): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const { rows } = await sql`
        delete from scheduler_schedules where tenant = ${tenant} and name = ${name} returning id`.execute(tx);
      if (rows.length > 0) await alongside?.(tx);
      return rows.length > 0;
    });
  }

  setEnabled(tenant: string, name: string, enabled: boolean, now: Date, actor: string, alongside?: Alongside) {
    return this.db.transaction().execute(async (tx) => {
      const { rows } = await sql<ScheduleRow>`
        update scheduler_schedules set enabled = ${enabled},
          cursor_at = case when not enabled and ${enabled} then greatest(cursor_at, ${now.toISOString()}::timestamptz)
                      else cursor_at end,
          updated_at = now(), updated_by = ${actor}
        where tenant = ${tenant} and name = ${name} returning *`.execute(tx);
      if (!rows[0]) return undefined;
      await alongside?.(tx);
      return toRecord(rows[0]);
    });
  }

  async enabled(): Promise<ScheduleRecord[]> {
    const { rows } = await sql<ScheduleRow>`select * from scheduler_schedules where enabled`.execute(this.db);
    return rows.map(toRecord);
  }

  claim(schedule: ScheduleRecord, options: ClaimOptions): Promise<ClaimedRun | undefined> {
    const at = options.scheduledAt.toISOString();
    return this.db.transaction().execute(async (tx) => {
      if (options.trigger === 'cron') {
        const { rows } = await sql`
          update scheduler_schedules set cursor_at = ${at}::timestamptz
          where id = ${schedule.id} and enabled and cursor_at < ${at}::timestamptz returning id`.execute(tx);
        if (rows.length === 0) return undefined;
      } else {
        await sql`select id from scheduler_schedules where id = ${schedule.id} for update`.execute(tx);
      }
      const busy =
        schedule.concurrency === 'skip' &&
        (
          await sql`select 1 from scheduler_runs where schedule_id = ${schedule.id} and outcome = 'running' limit 1`.execute(
            tx,
          )
        ).rows.length > 0;
      const now = new Date().toISOString();
      const { rows } = await sql<{ id: string | number }>`
        insert into scheduler_runs (schedule_id, trigger, scheduled_at, started_at, finished_at, outcome, error, lease_until)
        values (${schedule.id}, ${options.trigger}, ${at}::timestamptz, ${now}::timestamptz,
                ${busy ? now : null}::timestamptz, ${busy ? 'skipped' : 'running'},
                ${busy ? 'the previous run was still running' : null},
                ${busy ? null : options.leaseUntil.toISOString()}::timestamptz)
        on conflict (schedule_id, scheduled_at) do nothing returning id`.execute(tx);
      const id = rows[0]?.id;
      return id === undefined ? undefined : this.run(tx, String(id));
    });
  }

  async attempt(runId: string, attempt: number, leaseUntil: Date): Promise<void> {
    await sql`
      update scheduler_runs set attempt = ${attempt}, lease_until = ${leaseUntil.toISOString()}::timestamptz
      where id = ${runId}`.execute(this.db);
  }

  async finish(runId: string, outcome: 'succeeded' | 'failed' | 'lost', error: string | null): Promise<void> {
    const now = new Date().toISOString();
    // A run marked lost while its process was only slow still gets its real outcome.
    const { rows } = await sql<{ schedule_id: string | number }>`
      update scheduler_runs set outcome = ${outcome}, error = ${error}, finished_at = ${now}::timestamptz,
        lease_until = null
      where id = ${runId} and outcome in ('running', 'lost') returning schedule_id`.execute(this.db);
    if (outcome === 'succeeded' && rows[0]) {
      await sql`
        update scheduler_schedules set last_success_at = greatest(coalesce(last_success_at, ${now}::timestamptz), ${now}::timestamptz)
        where id = ${rows[0].schedule_id}`.execute(this.db);
    }
  }

  async runs(scheduleId: string, limit: number, before: string | undefined): Promise<ScheduleRun[]> {
    const { rows } = await sql<RunRow>`
      select ${RUN_COLUMNS} from scheduler_runs r join scheduler_schedules s on s.id = r.schedule_id
      where r.schedule_id = ${scheduleId} ${before === undefined ? sql`` : sql`and r.id < ${before}`}
      order by r.id desc limit ${limit}`.execute(this.db);
    return rows.map(toRun);
  }

  async expireLeases(now: Date): Promise<ScheduleRun[]> {
    const at = now.toISOString();
    const { rows } = await sql<RunRow>`
      update scheduler_runs r set outcome = 'lost', finished_at = ${at}::timestamptz, lease_until = null,
        error = 'its process stopped answering before the run finished'
      from scheduler_schedules s
      where s.id = r.schedule_id and r.outcome = 'running' and r.lease_until < ${at}::timestamptz
      returning ${RUN_COLUMNS}`.execute(this.db);
    return rows.map(toRun);
  }

  async prune(keep: number): Promise<number> {
    const result = await sql`
      delete from scheduler_runs r using (
        select id, row_number() over (partition by schedule_id order by id desc) as n from scheduler_runs
      ) k where r.id = k.id and k.n > ${keep}`.execute(this.db);
    return Number(result.numAffectedRows ?? 0);
  }

  async lastSuccesses(): Promise<{ tenant: string; name: string; at: Date }[]> {
    const { rows } = await sql<{ tenant: string; name: string; last_success_at: Date | string }>`
      select tenant, name, last_success_at from scheduler_schedules where last_success_at is not null`.execute(this.db);
    return rows.map((row) => ({ tenant: row.tenant, name: row.name, at: new Date(row.last_success_at) }));
  }

  private async run(db: Kysely<unknown>, id: string): Promise<ScheduleRun | undefined> {
    const { rows } = await sql<RunRow>`
      select ${RUN_COLUMNS} from scheduler_runs r join scheduler_schedules s on s.id = r.schedule_id
      where r.id = ${id}`.execute(db);
    return rows[0] && toRun(rows[0]);
  }
}
