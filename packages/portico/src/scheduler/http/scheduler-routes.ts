import { ok, PorticoError, type ScheduleSpec } from '@portico/sdk';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { installStrictJson } from '../../identity/http/body-parsers.js';
import { actorOf, principalOf, requireCredential } from '../../identity/http/principal.js';
import type { Identity } from '../../identity/identity.js';
import { PLATFORM_TENANT } from '../../identity/permissions.js';
import type { Database } from '../../store/database.js';
import { normalizeSpec } from '../schedule-spec.js';
import { type ScheduleRecord, type ScheduleStorePort, toSchedule } from '../schedule-store-port.js';
import type { SchedulerEngine } from '../scheduler-engine.js';
import { requireSchedulerAccess } from './scheduler-access.js';
import { registerRunRoutes } from './scheduler-run-routes.js';
import { ScheduleBody, ScheduleParams, TenantParams } from './scheduler-schemas.js';

/** What the scheduler's routes need. */
export interface SchedulerRoutesOptions {
  identity: Identity;
  schedules: ScheduleStorePort;
  engine: SchedulerEngine;
}

export type ScheduleRequest = FastifyRequest<{ Params: Static<typeof ScheduleParams> }>;

/**
 * The scheduler's API on the admin port, under `/v1/scheduler/{tenant}/schedules`
 * (docs/scheduler.md, "Admin API"): list, create or replace (idempotent by name), read and delete
 * schedules; pause, resume, trigger and the paged run history are in `scheduler-run-routes.ts`.
 * Any credential holding `scheduler.admin`, for its own tenant (the platform tenant's: any);
 * every write is audited in its own transaction.
 *
 * @example
 * ```ts
 * await app.register(schedulerRoutes, { identity, schedules, engine });
 * ```
 */
export async function schedulerRoutes(app: FastifyInstance, options: SchedulerRoutesOptions): Promise<void> {
  const { identity, schedules, engine } = options;
  installStrictJson(app);
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, tags: ['scheduler'], security: [{ bearer: [] }] };
  });
  app.addHook('onRequest', requireCredential(identity));
  const view = (record: ScheduleRecord) => toSchedule(record, engine.timesOf(record).next(later(record.cursorAt)));

  app.get<{ Params: Static<typeof TenantParams> }>(
    '/v1/scheduler/:tenant/schedules',
    { schema: { summary: "A tenant's schedules", params: TenantParams } },
    async (request) => {
      requireSchedulerAccess(principalOf(request), request.params.tenant);
      const tenant = await identity.tenants.require(request.params.tenant);
      return ok({ schedules: (await schedules.list(tenant.name)).map(view) }, request.id);
    },
  );

  app.get<{ Params: Static<typeof ScheduleParams> }>(
    '/v1/scheduler/:tenant/schedules/:name',
    { schema: { summary: 'Read a schedule', params: ScheduleParams } },
    async (request) => ok(view(await known(request)), request.id),
  );

  app.put<{ Params: Static<typeof ScheduleParams>; Body: Static<typeof ScheduleBody> }>(
    '/v1/scheduler/:tenant/schedules/:name',
    {
      schema: {
        summary: 'Create or replace a schedule (idempotent by name)',
        params: ScheduleParams,
        body: ScheduleBody,
      },
    },
    async (request, reply) => {
      const { tenant, name } = request.params;
      requireSchedulerAccess(principalOf(request), tenant);
      const owner = await identity.tenants.require(tenant);
      const body = request.body as ScheduleSpec;
      const spec = normalizeSpec(body);
      if (spec.target.kind === 'http' && owner.name !== PLATFORM_TENANT) {
        // The same services the gateway lets this tenant call.
        if (!owner.enabledServices.includes(spec.target.service)) {
          throw new PorticoError(
            'AUTHORIZATION_ERROR',
            `tenant ${tenant} has not enabled service ${spec.target.service}`,
            {
              tenant,
              service: spec.target.service,
            },
          );
        }
      }
      const actor = actorOf(request);
      const { record, created } = await schedules.upsert(tenant, name, spec, body.enabled, who(request), (tx) =>
        identity.audit.record(
          actor,
          {
            action: 'scheduler.schedule.put',
            tenant,
            target: `${tenant}/${name}`,
            changes: { ...spec, ...(body.enabled === undefined ? {} : { enabled: body.enabled }) },
          },
          tx as Kysely<Database>,
        ),
      );
      reply.code(created ? 201 : 200);
      return ok(view(record), request.id);
    },
  );

  app.delete<{ Params: Static<typeof ScheduleParams> }>(
    '/v1/scheduler/:tenant/schedules/:name',
    { schema: { summary: 'Delete a schedule and its run history', params: ScheduleParams } },
    async (request) => {
      const { tenant, name } = request.params;
      await known(request);
      const actor = actorOf(request);
      await schedules.remove(tenant, name, (tx) =>
        identity.audit.record(
          actor,
          { action: 'scheduler.schedule.delete', tenant, target: `${tenant}/${name}` },
          tx as Kysely<Database>,
        ),
      );
      return ok({ tenant, name, deleted: true }, request.id);
    },
  );

  registerRunRoutes(app, { ...options, known, view, who });

  /** The schedule of the path, after the access check; `NOT_FOUND` when it does not exist. */
  async function known(request: ScheduleRequest): Promise<ScheduleRecord> {
    const { tenant, name } = request.params;
    requireSchedulerAccess(principalOf(request), tenant);
    const record = await schedules.get(tenant, name);
    if (!record) throw new PorticoError('NOT_FOUND', `schedule ${tenant}/${name} does not exist`, { tenant, name });
    return record;
  }
}

/** The next tick is after the cursor and after now (a paused schedule's cursor lags). */
function later(cursor: Date): Date {
  return new Date(Math.max(cursor.getTime(), Date.now()));
}

function who(request: FastifyRequest): string {
  const { principal } = actorOf(request);
  return principal.username ?? principal.subject;
}
