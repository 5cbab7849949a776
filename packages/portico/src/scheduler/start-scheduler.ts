import type { BusPort } from '@portico/sdk';
import type { FastifyInstance } from 'fastify';
import type { PorticoConfig } from '../config/schema.js';
import type { Identity } from '../identity/identity.js';
import type { PorticoMetrics } from '../observability/metrics.js';
import type { RegistryPort } from '../registry/registry-port.js';
import { schedulerRoutes } from './http/scheduler-routes.js';
import { SchedulerEngine } from './scheduler-engine.js';
import { SchedulerMetrics } from './scheduler-metrics.js';
import { SqlScheduleStore } from './sql-schedule-store.js';
import { createTargets } from './targets/create-targets.js';

/** The scheduler of the process that holds the store. */
export interface RunningScheduler {
  /** Registers `/v1/scheduler/...` on the admin app. */
  routes(app: FastifyInstance): Promise<void>;
  close(): Promise<void>;
}

/** What the scheduler uses from the rest of the process. */
export interface SchedulerParts {
  bus: BusPort | undefined;
  registry: RegistryPort;
  metrics: PorticoMetrics;
  logger: { warn(object: object, message: string): void };
}

/**
 * Starts the scheduler (docs/scheduler.md) on identity's store: schedules and runs in the store,
 * targets on this process's bus and registry, the engine polling for due ticks (unless
 * `scheduler.enabled` is false), the metrics and the admin routes.
 *
 * @example
 * ```ts
 * const scheduler = startScheduler(config, identity, { bus, registry, metrics, logger });
 * await createAdminServer({ ..., plugins: [scheduler.routes] });
 * ```
 */
export function startScheduler(config: PorticoConfig, identity: Identity, parts: SchedulerParts): RunningScheduler {
  const schedules = new SqlScheduleStore(identity.store.db as never);
  const metrics = new SchedulerMetrics(parts.metrics.registry, () => schedules.lastSuccesses());
  const engine = new SchedulerEngine({
    ...config.scheduler,
    schedules,
    targets: createTargets({ bus: parts.bus, registry: parts.registry }),
    metrics,
    logger: parts.logger,
  });
  if (config.scheduler.enabled) engine.start();
  return {
    async routes(app) {
      await app.register(schedulerRoutes, { identity, schedules, engine });
    },
    close: () => engine.close(config.shutdownGraceMs),
  };
}
