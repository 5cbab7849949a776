import type { RunOutcome, Schedule, ScheduleRun } from '@portico/sdk';
import type { StoredSpec } from './schedule-spec.js';

/** A schedule as the engine reads it: its settings, its state and its row id. */
export interface ScheduleRecord extends StoredSpec {
  id: string;
  tenant: string;
  name: string;
  enabled: boolean;
  /** Ticks at or before this are handled (claimed, or passed over while paused). */
  cursorAt: Date;
  lastSuccessAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  updatedBy: string;
}

/** A run this process claimed (`running`) or recorded as `skipped`. */
export type ClaimedRun = ScheduleRun;

/** How a claim goes about a tick. */
export interface ClaimOptions {
  trigger: 'cron' | 'manual';
  scheduledAt: Date;
  /** The lease of the first attempt: past it, with no word from its process, the run is lost. */
  leaseUntil: Date;
}

/** Where a write's audit record goes, in the write's own transaction. */
export type Alongside = (tx: unknown) => Promise<void>;

/**
 * Where the scheduler keeps schedules and runs: the store (PGlite or PostgreSQL, one SQL,
 * `sql-schedule-store.ts`). Every claim is atomic across processes sharing the store.
 */
export interface ScheduleStorePort {
  /** Creates or replaces `tenant/name`; `enabled` undefined keeps the current state (true when new). */
  upsert(
    tenant: string,
    name: string,
    spec: StoredSpec,
    enabled: boolean | undefined,
    actor: string,
    alongside?: Alongside,
  ): Promise<{ record: ScheduleRecord; created: boolean }>;
  get(tenant: string, name: string): Promise<ScheduleRecord | undefined>;
  /** A tenant's schedules by name; every tenant's when `tenant` is undefined. */
  list(tenant: string | undefined): Promise<ScheduleRecord[]>;
  remove(tenant: string, name: string, alongside?: Alongside): Promise<boolean>;
  /** Pause or resume; resuming moves the cursor to `now`, so ticks missed while paused are dropped. */
  setEnabled(
    tenant: string,
    name: string,
    enabled: boolean,
    now: Date,
    actor: string,
    alongside?: Alongside,
  ): Promise<ScheduleRecord | undefined>;
  /** Every enabled schedule, for the poll. */
  enabled(): Promise<ScheduleRecord[]>;
  /**
   * Claims a tick: for `cron`, moves the cursor to `scheduledAt` if it is behind (else another
   * process has it: undefined); then records the run `running`, or `skipped` when the policy is
   * `skip` and a run of the schedule is still running.
   */
  claim(schedule: ScheduleRecord, options: ClaimOptions): Promise<ClaimedRun | undefined>;
  /** Records the start of an attempt and extends the lease. */
  attempt(runId: string, attempt: number, leaseUntil: Date): Promise<void>;
  finish(runId: string, outcome: Exclude<RunOutcome, 'running' | 'skipped'>, error: string | null): Promise<void>;
  /** A schedule's runs, newest first, with ids below `before`. */
  runs(scheduleId: string, limit: number, before: string | undefined): Promise<ScheduleRun[]>;
  /** Marks `lost` the running runs whose lease ran out before `now`; returns them. */
  expireLeases(now: Date): Promise<ScheduleRun[]>;
  /** Keeps the newest `keep` runs of each schedule; returns how many were removed. */
  prune(keep: number): Promise<number>;
  /** Each schedule's last success, for the gauge. */
  lastSuccesses(): Promise<{ tenant: string; name: string; at: Date }[]>;
}

/** The API view of a record; `nextRunAt` is computed by the caller (it needs the cron). */
export function toSchedule(record: ScheduleRecord, nextRunAt: Date | undefined): Schedule {
  return {
    tenant: record.tenant,
    name: record.name,
    cron: record.cron,
    timezone: record.timezone,
    target: record.target,
    retries: record.retries,
    timeoutMs: record.timeoutMs,
    enabled: record.enabled,
    concurrency: record.concurrency,
    description: record.description,
    nextRunAt: record.enabled && nextRunAt ? nextRunAt.toISOString() : null,
    lastSuccessAt: record.lastSuccessAt?.toISOString() ?? null,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
    updatedBy: record.updatedBy,
  };
}
