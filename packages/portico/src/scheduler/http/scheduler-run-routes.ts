import { ok, type Schedule } from '@portico/sdk';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { actorOf } from '../../identity/http/principal.js';
import { pageSize } from '../../identity/http/schemas.js';
import type { Database } from '../../store/database.js';
import type { ScheduleRecord } from '../schedule-store-port.js';
import type { ScheduleRequest, SchedulerRoutesOptions } from './scheduler-routes.js';
import { RunsQuery, ScheduleParams } from './scheduler-schemas.js';

/** What the run routes share with the schedule routes. */
interface RunRouteHelpers extends SchedulerRoutesOptions {
  known(request: ScheduleRequest): Promise<ScheduleRecord>;
  view(record: ScheduleRecord): Schedule;
  who(request: FastifyRequest): string;
}

/**
 * Pause, resume, trigger now, and the paged run history of one schedule (docs/scheduler.md,
 * "Admin API"). Registered by `schedulerRoutes`, behind its credential hook.
 */
export function registerRunRoutes(app: FastifyInstance, helpers: RunRouteHelpers): void {
  const { identity, schedules, engine, known, view, who } = helpers;

  const toggle = (enabled: boolean) => async (request: ScheduleRequest) => {
    const { tenant, name } = request.params;
    await known(request);
    const actor = actorOf(request);
    const record = await schedules.setEnabled(tenant, name, enabled, new Date(), who(request), (tx) =>
      identity.audit.record(
        actor,
        {
          action: enabled ? 'scheduler.schedule.resume' : 'scheduler.schedule.pause',
          tenant,
          target: `${tenant}/${name}`,
        },
        tx as Kysely<Database>,
      ),
    );
    return ok(view(record ?? (await known(request))), request.id);
  };
  const params = { params: ScheduleParams };
  app.post(
    '/v1/scheduler/:tenant/schedules/:name/pause',
    { schema: { summary: 'Pause a schedule', ...params } },
    toggle(false),
  );
  app.post(
    '/v1/scheduler/:tenant/schedules/:name/resume',
    { schema: { summary: 'Resume a schedule (ticks missed while paused are dropped)', ...params } },
    toggle(true),
  );

  app.post<{ Params: Static<typeof ScheduleParams> }>(
    '/v1/scheduler/:tenant/schedules/:name/trigger',
    { schema: { summary: 'Run a schedule now, in this process', ...params } },
    async (request, reply) => {
      const record = await known(request);
      const run = await engine.trigger(record);
      await identity.audit.record(actorOf(request), {
        action: 'scheduler.schedule.trigger',
        tenant: record.tenant,
        target: `${record.tenant}/${record.name}`,
        changes: { runId: run.id, outcome: run.outcome },
      });
      reply.code(202);
      return ok(run, request.id);
    },
  );

  app.get<{ Params: Static<typeof ScheduleParams>; Querystring: Static<typeof RunsQuery> }>(
    '/v1/scheduler/:tenant/schedules/:name/runs',
    { schema: { summary: "A schedule's runs, newest first (paged by `before`)", ...params, querystring: RunsQuery } },
    async (request) => {
      const record = await known(request);
      const limit = pageSize(request.query.limit);
      const runs = await schedules.runs(record.id, limit, request.query.before);
      const next = runs.length === limit ? (runs[runs.length - 1]?.id ?? null) : null;
      return ok({ runs, next }, request.id);
    },
  );
}
