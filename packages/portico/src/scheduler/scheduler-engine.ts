import type { ScheduleRun } from '@portico/sdk';
import { PorticoError } from '@portico/sdk';
import { type CronTimes, parseCron } from './cron.js';
import { executeRun, leaseOf } from './run-executor.js';
import type { ScheduleRecord, ScheduleStorePort } from './schedule-store-port.js';
import type { SchedulerMetrics } from './scheduler-metrics.js';
import type { TargetResolver } from './targets/create-targets.js';

/** Housekeeping (lost runs, history pruning) every this many polls. */
const HOUSEKEEPING_EVERY = 10;

/** What an engine needs. */
export interface SchedulerEngineOptions {
  schedules: ScheduleStorePort;
  targets: TargetResolver;
  pollMs: number;
  maxRunning: number;
  historyPerSchedule: number;
  leaseGraceMs: number;
  metrics?: SchedulerMetrics;
  logger?: { warn(object: object, message: string): void };
}

/**
 * Fires due ticks in this process. Every `pollMs` it reads the enabled schedules (one query) and
 * for each computes the latest tick in `(cursor, now]`: that tick is claimed in the store, and
 * the process that claims it runs it; every other process finds the cursor moved and does
 * nothing. Ticks missed while no process ran collapse into that one latest tick (a catch-up run,
 * not one per missed tick). Runs are not awaited by the poll; at most `maxRunning` at once.
 *
 * @example
 * ```ts
 * const engine = new SchedulerEngine({ schedules, targets, pollMs: 1000, maxRunning: 64, historyPerSchedule: 1000, leaseGraceMs: 30000 });
 * engine.start();
 * await engine.close(5000);
 * ```
 */
export class SchedulerEngine {
  private readonly crons = new Map<string, CronTimes>();
  private readonly running = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private polls = 0;
  private started = false;
  private closed = false;
  private polling: Promise<void> | undefined;

  constructor(private readonly options: SchedulerEngineOptions) {}

  /** The cron of a record, parsed once per expression and zone. */
  timesOf(record: { cron: string; timezone: string }): CronTimes {
    const key = `${record.timezone} ${record.cron}`;
    let times = this.crons.get(key);
    if (!times) {
      times = parseCron(record.cron, record.timezone);
      this.crons.set(key, times);
    }
    return times;
  }

  /** Starts polling. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const loop = async () => {
      this.polling = this.poll().catch((error) => this.options.logger?.warn({ err: error }, 'scheduler poll failed'));
      await this.polling;
      if (!this.closed) this.timer = setTimeout(loop, this.options.pollMs);
    };
    this.timer = setTimeout(loop, 0);
  }

  /** One look at the schedules: claims and starts every due tick (public for tests). */
  async poll(now = new Date()): Promise<void> {
    const { schedules } = this.options;
    for (const record of await schedules.enabled()) {
      if (this.running.size >= this.options.maxRunning || this.closed) break;
      let due: Date | undefined;
      try {
        due = this.timesOf(record).due(record.cursorAt, now);
      } catch {
        continue; // stored before a stricter check: the admin API shows it, nothing fires
      }
      if (!due) continue;
      const leaseUntil = leaseOf(record, 1, this.options.leaseGraceMs);
      const run = await schedules.claim(record, { trigger: 'cron', scheduledAt: due, leaseUntil });
      if (run) this.launch(record, run);
    }
    if (++this.polls % HOUSEKEEPING_EVERY === 1) await this.housekeeping(now);
  }

  /** Runs a schedule now, whatever its cron says (a manual trigger); the run as recorded. */
  async trigger(record: ScheduleRecord): Promise<ScheduleRun> {
    if (this.closed) throw new PorticoError('SERVICE_UNAVAILABLE', 'the scheduler is stopping');
    const leaseUntil = leaseOf(record, 1, this.options.leaseGraceMs);
    const run = await this.options.schedules.claim(record, { trigger: 'manual', scheduledAt: new Date(), leaseUntil });
    if (!run)
      throw new PorticoError('CONFLICT', 'a run of this schedule was recorded at this very millisecond; try again');
    this.launch(record, run);
    return run;
  }

  /** Runs in flight in this process. */
  runningCount(): number {
    return this.running.size;
  }

  /** Stops polling; runs in flight get `graceMs` to finish, then their attempts are cut short. */
  async close(graceMs: number): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.polling;
    const all = Promise.allSettled([...this.running]);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([all, grace]);
    clearTimeout(timer);
    this.stopping.abort(new Error('Portico stopped'));
    await all;
  }

  private launch(record: ScheduleRecord, run: ScheduleRun): void {
    const { metrics } = this.options;
    if (run.outcome === 'skipped') {
      metrics?.run(record.tenant, record.name, 'skipped');
      return;
    }
    const done = executeRun(record, run, { ...this.options, stopping: this.stopping.signal })
      .catch((error) => this.options.logger?.warn({ err: error, run: run.id }, 'scheduler run not recorded'))
      .finally(() => this.running.delete(done));
    this.running.add(done);
  }

  private async housekeeping(now: Date): Promise<void> {
    for (const lost of await this.options.schedules.expireLeases(now)) {
      this.options.metrics?.run(lost.tenant, lost.schedule, 'lost');
    }
    await this.options.schedules.prune(this.options.historyPerSchedule);
  }
}
