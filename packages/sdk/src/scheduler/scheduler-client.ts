import { adminHttpCall } from '../admin-http-call.js';
import type { RunPage, Schedule, ScheduleRun, ScheduleSpec } from './scheduler-types.js';

/** Who calls the scheduler API: an API key, or an access token (a function is called before each request). */
export type SchedulerCredential = { apiKey: string } | { token: string | (() => string | Promise<string>) };

/** Where the scheduler is and who calls it. */
export interface SchedulerClientOptions {
  /** Portico's admin URL; default `PORTICO_REGISTRY_URL`, else `http://127.0.0.1:9080`. */
  url?: string;
  /** The tenant whose schedules these are. */
  tenant: string;
  /** Needs `scheduler.admin` (an API key's scope, or a role's permission). */
  credential: SchedulerCredential;
  timeoutMs?: number;
}

/** A service's handle on its tenant's schedules (docs/scheduler.md, "From a service"). */
export interface SchedulerClient {
  /** Creates or replaces the schedule `name`: idempotent, so a service calls it on every start. */
  put(name: string, spec: ScheduleSpec): Promise<Schedule>;
  get(name: string): Promise<Schedule>;
  list(): Promise<Schedule[]>;
  remove(name: string): Promise<void>;
  pause(name: string): Promise<Schedule>;
  resume(name: string): Promise<Schedule>;
  /** Runs it now, whatever its cron says; the run as recorded (`running`, or `skipped`). */
  trigger(name: string): Promise<ScheduleRun>;
  /** Its runs, newest first; pass the page's `next` as `before` for the following page. */
  runs(name: string, page?: { limit?: number; before?: string }): Promise<RunPage>;
}

/**
 * A client of Portico's scheduler API for one tenant. A service registers its schedule on start
 * with `put` (idempotent by name; an operator's pause survives it, as `enabled` absent keeps the
 * state) and, for a `bus` target, handles the runs by subscribing to the target's topic.
 *
 * @example
 * ```ts
 * import { createSchedulerClient } from '@portico/sdk';
 * const scheduler = createSchedulerClient({ tenant: 'acme', credential: { apiKey: process.env.KEY! } });
 * await scheduler.put('archive', { cron: '0 3 * * *', target: { kind: 'bus', type: 'market.archive' } });
 * ```
 */
export function createSchedulerClient(options: SchedulerClientOptions): SchedulerClient {
  const base = options.url ?? process.env.PORTICO_REGISTRY_URL ?? 'http://127.0.0.1:9080';
  const root = `/v1/scheduler/${encodeURIComponent(options.tenant)}/schedules`;
  const one = (name: string) => `${root}/${encodeURIComponent(name)}`;
  const call = adminHttpCall(base, options.credential, options.timeoutMs ?? 10_000, 'the scheduler');
  return {
    put: (name, spec) => call('PUT', one(name), spec),
    get: (name) => call('GET', one(name)),
    list: async () => (await call<{ schedules: Schedule[] }>('GET', root)).schedules,
    remove: async (name) => {
      await call('DELETE', one(name));
    },
    pause: (name) => call('POST', `${one(name)}/pause`),
    resume: (name) => call('POST', `${one(name)}/resume`),
    trigger: (name) => call('POST', `${one(name)}/trigger`),
    runs: (name, page = {}) => {
      const query = new URLSearchParams();
      if (page.limit !== undefined) query.set('limit', String(page.limit));
      if (page.before !== undefined) query.set('before', page.before);
      const suffix = query.size > 0 ? `?${query}` : '';
      return call('GET', `${one(name)}/runs${suffix}`);
    },
  };
}
