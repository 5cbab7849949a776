import { type Static, Type } from '@sinclair/typebox';

/**
 * The `scheduler` section of `portico.yaml` (docs/scheduler.md): whether this process fires
 * schedules, how often it looks for due ticks, how many runs it holds at once and how many
 * runs of each schedule the history keeps.
 */
export const SchedulerSchema = Type.Object(
  {
    /** Off: the admin API still serves schedules and history, but this process fires nothing. */
    enabled: Type.Boolean({ default: true }),
    /** How often the process looks for due ticks; a tick fires at most this late. */
    pollMs: Type.Integer({ minimum: 50, maximum: 60_000, default: 1_000 }),
    /** Runs this process executes at once; past it, due ticks wait for the next poll (or another process). */
    maxRunning: Type.Integer({ minimum: 1, maximum: 10_000, default: 64 }),
    /** Runs kept per schedule in the history; older ones are removed. */
    historyPerSchedule: Type.Integer({ minimum: 10, maximum: 1_000_000, default: 1_000 }),
    /** Added to a run's lease: a run whose process went silent this long past its timeout counts as lost. */
    leaseGraceMs: Type.Integer({ minimum: 1_000, maximum: 3_600_000, default: 30_000 }),
  },
  { additionalProperties: false, default: {} },
);

/** Environment variables of `scheduler`, by the key's path. */
export const SCHEDULER_ENV_OVERRIDES: Record<string, readonly string[]> = {
  PORTICO_SCHEDULER_ENABLED: ['scheduler', 'enabled'],
  PORTICO_SCHEDULER_POLL_MS: ['scheduler', 'pollMs'],
};

export type SchedulerConfig = Static<typeof SchedulerSchema>;
