import type { BackoffOptions } from '../bus/bus-types.js';

/**
 * What a run does. `bus`: publish one message of `type` (the service that does the job
 * subscribes to it, with the bus's own retries and dead letters behind it). `http`: call a
 * registered service's instance directly (`method` `path`, JSON body); a 2xx answer is success.
 * Either way the payload is a {@link ScheduledMessage} whose `data` is the target's `data`.
 */
export type ScheduleTarget =
  | { kind: 'bus'; type: string; data?: unknown; key?: string }
  | {
      kind: 'http';
      service: string;
      path: string;
      method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
      data?: unknown;
    };

/** What to do when a tick comes while the schedule's previous run is still running. */
export type ConcurrencyPolicy = 'skip' | 'allow';

/**
 * A schedule as a service or an operator declares it (`PUT /v1/scheduler/{tenant}/schedules/{name}`).
 *
 * @example
 * ```ts
 * const spec: ScheduleSpec = {
 *   cron: '0 3 * * *', // 03:00 every day; 6 fields = with seconds
 *   timezone: 'Europe/Berlin',
 *   target: { kind: 'bus', type: 'market.archive', data: { olderThanDays: 7 } },
 *   retries: { maxAttempts: 3, backoff: { initialMs: 1000 } },
 * };
 * ```
 */
export interface ScheduleSpec {
  /** 5 fields (minute hour day month weekday) or 6 (second first). */
  cron: string;
  /** IANA time zone the cron is read in; default `UTC`. */
  timezone?: string;
  target: ScheduleTarget;
  /** Attempts per run (default 1: no retry) and the backoff between them. */
  retries?: { maxAttempts?: number; backoff?: BackoffOptions };
  /** Longest one attempt may take; default 30000. */
  timeoutMs?: number;
  /** Absent on an update: the schedule keeps its state (a service's upsert never resumes a paused schedule). */
  enabled?: boolean;
  /** Default `skip`. */
  concurrency?: ConcurrencyPolicy;
  description?: string;
}

/** A stored schedule, as the admin API answers it. */
export interface Schedule {
  tenant: string;
  name: string;
  cron: string;
  timezone: string;
  target: ScheduleTarget;
  retries: { maxAttempts: number; backoff: BackoffOptions };
  timeoutMs: number;
  enabled: boolean;
  concurrency: ConcurrencyPolicy;
  description: string;
  /** The next tick, or null while paused. */
  nextRunAt: string | null;
  lastSuccessAt: string | null;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
}

/** How a run ended; `running` until it does. `skipped`: the previous run was still running. `lost`: its process died. */
export type RunOutcome = 'running' | 'succeeded' | 'failed' | 'skipped' | 'lost';

/** One run of a schedule: a tick (`cron`) or a trigger by hand (`manual`). */
export interface ScheduleRun {
  id: string;
  tenant: string;
  schedule: string;
  trigger: 'cron' | 'manual';
  scheduledAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Attempts made so far. */
  attempt: number;
  outcome: RunOutcome;
  /** The last attempt's error. */
  error: string | null;
}

/** One page of a schedule's runs, newest first; `next` is the `before` of the following page. */
export interface RunPage {
  runs: ScheduleRun[];
  next: string | null;
}

/**
 * The payload of a run: the `data` of a bus message of the target's type, or the JSON body of
 * the HTTP call. `runId` is the same on every attempt of a run: make the job idempotent by it.
 *
 * @example
 * ```ts
 * await bus.subscribe('market.archive', async (m: { data: ScheduledMessage<{ olderThanDays: number }> }) => {
 *   await archive(m.data.scheduledAt, m.data.data.olderThanDays);
 * }, { group: 'archiver' });
 * ```
 */
export interface ScheduledMessage<T = unknown> {
  schedule: string;
  tenant: string;
  runId: string;
  scheduledAt: string;
  attempt: number;
  data: T;
}
