import { Counter, Gauge, type Registry } from 'prom-client';

/** How long a scrape waits for the store before it serves the last figures. */
const SCRAPE_TIMEOUT_MS = 2000;

/**
 * The scheduler's metrics: `portico_scheduler_runs_total{tenant,schedule,outcome}`, counted by
 * the process that ran (or skipped, or found lost) the run, and
 * `portico_scheduler_last_success_timestamp_seconds{tenant,schedule}`, read from the store at
 * scrape time, so every process of a cluster reports the same, cluster-wide, value.
 *
 * @example
 * ```ts
 * const metrics = new SchedulerMetrics(registry, () => schedules.lastSuccesses());
 * metrics.run('acme', 'archive', 'succeeded');
 * ```
 */
export class SchedulerMetrics {
  private readonly runs: Counter<'tenant' | 'schedule' | 'outcome'>;

  constructor(registry: Registry, lastSuccesses: () => Promise<{ tenant: string; name: string; at: Date }[]>) {
    this.runs = new Counter({
      name: 'portico_scheduler_runs_total',
      help: 'Finished runs of schedules by outcome: succeeded, failed, skipped, lost.',
      labelNames: ['tenant', 'schedule', 'outcome'],
      registers: [registry],
    });
    new Gauge({
      name: 'portico_scheduler_last_success_timestamp_seconds',
      help: 'Unix time of the last successful run of each schedule (from the store).',
      labelNames: ['tenant', 'schedule'],
      registers: [registry],
      async collect() {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), SCRAPE_TIMEOUT_MS);
        });
        const rows = await Promise.race([lastSuccesses().catch(() => undefined), timeout]);
        clearTimeout(timer);
        if (!rows) return; // a slow or failing store keeps the last values
        this.reset();
        for (const row of rows) this.set({ tenant: row.tenant, schedule: row.name }, row.at.getTime() / 1000);
      },
    });
  }

  run(tenant: string, schedule: string, outcome: string): void {
    this.runs.inc({ tenant, schedule, outcome });
  }
}
