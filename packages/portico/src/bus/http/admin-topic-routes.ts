import { type BusPort, ok } from '@portico/sdk';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { actorOf, principalOf, requireCredential } from '../../identity/http/principal.js';
import type { Identity } from '../../identity/identity.js';
import { adminOf, adminScope, knownTopic, requirePlatform, TopicParams } from './admin-access.js';

/**
 * The topic half of the bus admin API (docs/bus.md, "Admin API"): list topics with their size,
 * sequences and retention; one topic; its groups with lag, pending and in-flight counts; purge a
 * topic. Platform principals holding `bus.admin` only: the figures span tenants.
 *
 * @example
 * ```ts
 * await app.register(busAdminTopicRoutes, { bus, identity });
 * ```
 */
export async function busAdminTopicRoutes(
  app: FastifyInstance,
  { bus, identity }: { bus: BusPort; identity: Identity },
): Promise<void> {
  const guard = { preHandler: requireCredential(identity) };
  const platformOnly = (request: Parameters<typeof principalOf>[0]) =>
    requirePlatform(adminScope(principalOf(request)));

  app.get(
    '/v1/bus/topics',
    { ...guard, schema: { tags: ['bus'], summary: 'List topics with their groups' } },
    async (request) => {
      platformOnly(request);
      return ok({ topics: await bus.topics() }, request.id);
    },
  );

  app.get<{ Params: Static<typeof TopicParams> }>(
    '/v1/bus/topics/:topic',
    { ...guard, schema: { tags: ['bus'], summary: 'One topic', params: TopicParams } },
    async (request) => {
      platformOnly(request);
      return ok(await knownTopic(adminOf(bus), request.params.topic), request.id);
    },
  );

  app.get<{ Params: Static<typeof TopicParams> }>(
    '/v1/bus/topics/:topic/groups',
    { ...guard, schema: { tags: ['bus'], summary: "A topic's groups: lag, pending, in flight", params: TopicParams } },
    async (request) => {
      platformOnly(request);
      const info = await knownTopic(adminOf(bus), request.params.topic);
      return ok({ groups: info.groups }, request.id);
    },
  );

  app.delete<{ Params: Static<typeof TopicParams> }>(
    '/v1/bus/topics/:topic/messages',
    { ...guard, schema: { tags: ['bus'], summary: 'Purge every stored message of a topic', params: TopicParams } },
    async (request) => {
      platformOnly(request);
      const admin = adminOf(bus);
      const { topic } = request.params;
      await knownTopic(admin, topic);
      const purged = await admin.purgeTopic(topic);
      await identity.audit.record(actorOf(request), {
        action: 'bus.topic.purge',
        tenant: null,
        target: topic,
        changes: { purged },
      });
      return ok({ purged }, request.id);
    },
  );
}
