import { backoffDelay, type ScheduledMessage, type ScheduleRun } from '@portico/sdk';
import type { ScheduleRecord, ScheduleStorePort } from './schedule-store-port.js';
import type { SchedulerMetrics } from './scheduler-metrics.js';
import type { TargetResolver } from './targets/create-targets.js';

/** What running a claimed run needs. */
export interface ExecutorDeps {
  schedules: ScheduleStorePort;
  targets: TargetResolver;
  leaseGraceMs: number;
  metrics?: SchedulerMetrics;
  /** Aborted when Portico stops: the attempt in flight is cut short and no retry follows. */
  stopping: AbortSignal;
}

/**
 * The lease of an attempt: its timeout, the backoff before the next one, and the grace. A run
 * whose lease runs out without a word from its process is marked lost by any process.
 */
export function leaseOf(record: ScheduleRecord, attempt: number, graceMs: number, now = Date.now()): Date {
  const backoff = attempt < record.retries.maxAttempts ? backoffDelay(attempt, record.retries.backoff) : 0;
  return new Date(now + record.timeoutMs + backoff + graceMs);
}

/**
 * Runs a claimed run to its end: up to `retries.maxAttempts` attempts, each cut at `timeoutMs`,
 * with the backoff between them (`initialMs × factor^(attempt−1)`, capped at `maxMs`), then
 * records `succeeded` or `failed` with the last attempt's error.
 *
 * @example
 * ```ts
 * await executeRun(record, run, { schedules, targets, leaseGraceMs: 30000, stopping: controller.signal });
 * ```
 */
export async function executeRun(record: ScheduleRecord, run: ScheduleRun, deps: ExecutorDeps): Promise<void> {
  const { schedules, stopping } = deps;
  let error = 'not attempted';
  for (let attempt = 1; attempt <= record.retries.maxAttempts; attempt++) {
    if (stopping.aborted) {
      error = `${error}; Portico stopped before attempt ${attempt}`;
      break;
    }
    await schedules.attempt(run.id, attempt, leaseOf(record, attempt, deps.leaseGraceMs));
    const message: ScheduledMessage = {
      schedule: record.name,
      tenant: record.tenant,
      runId: run.id,
      scheduledAt: run.scheduledAt,
      attempt,
      data: record.target.data ?? null,
    };
    const signal = AbortSignal.any([AbortSignal.timeout(record.timeoutMs), stopping]);
    try {
      await deps.targets(record.target).run({ target: record.target, message, signal });
      await schedules.finish(run.id, 'succeeded', null);
      deps.metrics?.run(record.tenant, record.name, 'succeeded');
      return;
    } catch (failure) {
      error = describe(failure, signal, stopping, record.timeoutMs);
    }
    if (attempt < record.retries.maxAttempts) await sleep(backoffDelay(attempt, record.retries.backoff), stopping);
  }
  await schedules.finish(run.id, 'failed', error);
  deps.metrics?.run(record.tenant, record.name, 'failed');
}

function describe(failure: unknown, signal: AbortSignal, stopping: AbortSignal, timeoutMs: number): string {
  if (stopping.aborted) return 'interrupted: Portico stopped during the attempt';
  if (signal.aborted) return `timed out after ${timeoutMs} ms`;
  const message = failure instanceof Error ? failure.message : String(failure);
  return message.slice(0, 2000);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
