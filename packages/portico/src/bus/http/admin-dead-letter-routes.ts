import { type BusPort, type DeadLetterScope, ok, PorticoError } from '@portico/sdk';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actorOf, principalOf, requireCredential } from '../../identity/http/principal.js';
import type { Identity } from '../../identity/identity.js';
import { adminOf, adminScope, GroupName, knownTopic, TopicParams } from './admin-access.js';

const ListQuery = Type.Object(
  {
    group: Type.Optional(GroupName),
    /** Page size, 1–1000 (default 100); a string, as query parameters are not coerced. */
    limit: Type.Optional(Type.String({ pattern: '^([1-9][0-9]{0,2}|1000)$' })),
    /** The last id of the previous page. */
    after: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    /** Platform callers may narrow to one tenant; a tenant's caller is narrowed to theirs anyway. */
    tenant: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
const GroupQuery = Type.Object(
  { group: Type.Optional(GroupName), tenant: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) },
  { additionalProperties: false },
);
const EntryParams = Type.Object({
  topic: Type.String({ minLength: 1, maxLength: 200 }),
  id: Type.String({ minLength: 1, maxLength: 200 }),
});

/**
 * The dead-letter half of the bus admin API (docs/bus.md, "Admin API"): list a topic's dead
 * letters (paged, with the last error and attempts), read one, redeliver one or all (to their
 * group), purge them. Needs `bus.admin`; a caller outside the platform tenant only ever sees or
 * touches the entries whose message carries their own tenant.
 *
 * @example
 * ```ts
 * await app.register(busAdminDeadLetterRoutes, { bus, identity });
 * ```
 */
export async function busAdminDeadLetterRoutes(
  app: FastifyInstance,
  { bus, identity }: { bus: BusPort; identity: Identity },
): Promise<void> {
  const guard = { preHandler: requireCredential(identity) };
  const tags = ['bus'];

  /** The scope of a request: its topic (which must exist), group, id and the caller's tenant. */
  async function scopeOf(
    request: FastifyRequest,
    topic: string,
    query: { group?: string; tenant?: string },
    id?: string,
  ): Promise<DeadLetterScope> {
    const caller = adminScope(principalOf(request));
    await knownTopic(adminOf(bus), topic);
    const tenant = caller.platform ? query.tenant : caller.tenant;
    return {
      topic,
      ...(query.group !== undefined ? { group: query.group } : {}),
      ...(tenant !== undefined ? { tenant } : {}),
      ...(id !== undefined ? { id } : {}),
    };
  }

  const audit = (request: FastifyRequest, action: string, scope: DeadLetterScope, count: number) =>
    identity.audit.record(actorOf(request), {
      action,
      tenant: scope.tenant ?? null,
      target: scope.id === undefined ? scope.topic : `${scope.topic}/${scope.id}`,
      changes: { group: scope.group ?? null, count },
    });

  app.get<{ Params: Static<typeof TopicParams>; Querystring: Static<typeof ListQuery> }>(
    '/v1/bus/topics/:topic/dead-letters',
    {
      ...guard,
      schema: { tags, summary: "A topic's dead letters, paged", params: TopicParams, querystring: ListQuery },
    },
    async (request) => {
      const { limit: asked, after, ...filter } = request.query;
      const limit = Number(asked ?? 100);
      const scope = await scopeOf(request, request.params.topic, filter);
      const items = await adminOf(bus).listDeadLetters({ ...scope, limit, ...(after ? { after } : {}) });
      const next = items.length === limit ? items[items.length - 1]?.id : undefined;
      return ok({ items, ...(next ? { next } : {}) }, request.id);
    },
  );

  app.get<{ Params: Static<typeof EntryParams> }>(
    '/v1/bus/topics/:topic/dead-letters/:id',
    { ...guard, schema: { tags, summary: 'One dead letter', params: EntryParams } },
    async (request) => {
      const scope = await scopeOf(request, request.params.topic, {}, request.params.id);
      const [entry] = await adminOf(bus).listDeadLetters({ ...scope, limit: 1 });
      if (!entry) throw notFound(scope);
      return ok(entry, request.id);
    },
  );

  app.post<{ Params: Static<typeof EntryParams> }>(
    '/v1/bus/topics/:topic/dead-letters/:id/redeliver',
    { ...guard, schema: { tags, summary: 'Redeliver one dead letter to its group', params: EntryParams } },
    async (request) => {
      const scope = await scopeOf(request, request.params.topic, {}, request.params.id);
      const redelivered = await adminOf(bus).redeliverDeadLetters(scope);
      if (redelivered === 0) throw notFound(scope);
      await audit(request, 'bus.dead-letter.redeliver', scope, redelivered);
      return ok({ redelivered }, request.id);
    },
  );

  app.post<{ Params: Static<typeof TopicParams>; Querystring: Static<typeof GroupQuery> }>(
    '/v1/bus/topics/:topic/dead-letters/redeliver',
    {
      ...guard,
      schema: {
        tags,
        summary: 'Redeliver every dead letter (of a group)',
        params: TopicParams,
        querystring: GroupQuery,
      },
    },
    async (request) => {
      const scope = await scopeOf(request, request.params.topic, request.query);
      const redelivered = await adminOf(bus).redeliverDeadLetters(scope);
      await audit(request, 'bus.dead-letter.redeliver', scope, redelivered);
      return ok({ redelivered }, request.id);
    },
  );

  app.delete<{ Params: Static<typeof EntryParams> }>(
    '/v1/bus/topics/:topic/dead-letters/:id',
    { ...guard, schema: { tags, summary: 'Purge one dead letter', params: EntryParams } },
    async (request) => {
      const scope = await scopeOf(request, request.params.topic, {}, request.params.id);
      const purged = await adminOf(bus).removeDeadLetters(scope);
      if (purged === 0) throw notFound(scope);
      await audit(request, 'bus.dead-letter.purge', scope, purged);
      return ok({ purged }, request.id);
    },
  );

  app.delete<{ Params: Static<typeof TopicParams>; Querystring: Static<typeof GroupQuery> }>(
    '/v1/bus/topics/:topic/dead-letters',
    {
      ...guard,
      schema: { tags, summary: 'Purge dead letters (of a group)', params: TopicParams, querystring: GroupQuery },
    },
    async (request) => {
      const scope = await scopeOf(request, request.params.topic, request.query);
      const purged = await adminOf(bus).removeDeadLetters(scope);
      await audit(request, 'bus.dead-letter.purge', scope, purged);
      return ok({ purged }, request.id);
    },
  );
}

function notFound(scope: DeadLetterScope): PorticoError {
  return new PorticoError('NOT_FOUND', `no dead letter ${scope.id} on ${scope.topic}`, {
    topic: scope.topic,
    id: scope.id,
  });
}
