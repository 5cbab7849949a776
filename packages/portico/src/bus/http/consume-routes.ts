import { type BusPort, type GroupOptions, ok } from '@portico/sdk';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { principalOf, requireCredential } from '../../identity/http/principal.js';
import type { Identity } from '../../identity/identity.js';
import type { Principal } from '../../identity/model.js';
import type { BusMetrics } from '../bus-metrics.js';
import { BUS_CONSUME_PERMISSION, consumerGroup, consumeTenants, requireBusPermission } from './bus-access.js';
import { AckBody, ConsumerParams, FetchBody, NackBody, OpenConsumerBody, RejectBody } from './consume-schemas.js';
import { type ConsumeLimits, type ConsumeSession, ConsumeSessions } from './consume-sessions.js';

/** What the consume routes need. */
export interface ConsumeRoutesOptions {
  bus: BusPort;
  identity: Identity;
  limits: ConsumeLimits;
  metrics?: BusMetrics;
}

type Params = { Params: Static<typeof ConsumerParams> };
const owner = (p: Principal) => `${p.tenant}/${p.kind}/${p.subject}`;

/**
 * The bus consume API on the admin port, the server side of the SDK's `HttpBus`: open a member of
 * a group (`POST /v1/bus/consumers`), fetch bounded batches with a long poll (`…/:id/fetch`),
 * settle by delivery token (`…/:id/ack|nack|reject`) and close (`DELETE …/:id`). Every call needs
 * `bus.consume`; a consumer receives its caller's tenant's messages only, unless the caller is of
 * the platform tenant (docs/bus.md, "HTTP API").
 *
 * @example
 * ```ts
 * await app.register(busConsumeRoutes, { bus, identity, limits: config.bus.http });
 * ```
 */
export async function busConsumeRoutes(app: FastifyInstance, options: ConsumeRoutesOptions): Promise<void> {
  const sessions = new ConsumeSessions(options.bus, options.limits, options.metrics);
  app.addHook('onClose', () => sessions.closeAll());
  const preHandler = requireCredential(options.identity);
  const tags = ['bus'];

  /** The caller's open consumer `:id`, after checking it may still consume. */
  const sessionOf = (request: FastifyRequest<Params>): ConsumeSession => {
    const principal = principalOf(request);
    requireBusPermission(principal, BUS_CONSUME_PERMISSION, 'consuming');
    return sessions.get(request.params.id, owner(principal));
  };

  app.post<{ Body: Static<typeof OpenConsumerBody> }>(
    '/v1/bus/consumers',
    { preHandler, schema: { tags, summary: 'Join a consumer group', body: OpenConsumerBody } },
    async (request, reply) => {
      const principal = principalOf(request);
      requireBusPermission(principal, BUS_CONSUME_PERMISSION, 'consuming');
      const { topic, ...asked } = request.body;
      const tenants = consumeTenants(principal, asked.tenants);
      const group: GroupOptions = { ...asked, group: consumerGroup(principal, asked.group) };
      if (tenants === undefined) delete group.tenants;
      else group.tenants = tenants;
      const session = await sessions.open(owner(principal), topic, group);
      reply.code(201);
      const { maxBatch, maxWaitMs, consumerIdleMs } = options.limits;
      return ok(
        { id: session.id, topic, group: asked.group, tenants: tenants ?? null, maxBatch, maxWaitMs, consumerIdleMs },
        request.id,
      );
    },
  );

  app.post<Params & { Body: Static<typeof FetchBody> }>(
    '/v1/bus/consumers/:id/fetch',
    { preHandler, schema: { tags, summary: 'Fetch a batch (long poll)', params: ConsumerParams, body: FetchBody } },
    async (request, reply) => {
      const session = sessionOf(request);
      let gone = false;
      reply.raw.once('close', () => {
        gone = !reply.raw.writableFinished;
      });
      const deliveries = await sessions.fetch(session, request.body.max, request.body.waitMs);
      // The flag, or a socket that closed before the listener was there.
      if (gone || reply.raw.destroyed || request.raw.socket?.destroyed === true) {
        // The caller left during the long poll: give the batch straight back rather than let it
        // sit out its ack wait with nobody to handle it.
        for (const d of deliveries) {
          await sessions
            .settle(session, d.token, (c) =>
              c.nack(d.token, { delayMs: 0, error: 'the consumer left before the batch reached it' }),
            )
            .catch(() => undefined);
        }
      }
      return ok({ deliveries }, request.id);
    },
  );

  app.post<Params & { Body: Static<typeof AckBody> }>(
    '/v1/bus/consumers/:id/ack',
    { preHandler, schema: { tags, summary: 'Acknowledge a delivery', params: ConsumerParams, body: AckBody } },
    async (request) => {
      const { token } = request.body;
      await sessions.settle(sessionOf(request), token, (c) => c.ack(token));
      return ok({ token }, request.id);
    },
  );

  app.post<Params & { Body: Static<typeof NackBody> }>(
    '/v1/bus/consumers/:id/nack',
    { preHandler, schema: { tags, summary: 'Retry a delivery later', params: ConsumerParams, body: NackBody } },
    async (request) => {
      const { token, ...rest } = request.body;
      await sessions.settle(sessionOf(request), token, (c) => c.nack(token, rest));
      return ok({ token }, request.id);
    },
  );

  app.post<Params & { Body: Static<typeof RejectBody> }>(
    '/v1/bus/consumers/:id/reject',
    { preHandler, schema: { tags, summary: 'Dead-letter a delivery', params: ConsumerParams, body: RejectBody } },
    async (request) => {
      const { token, error } = request.body;
      await sessions.settle(sessionOf(request), token, (c) => c.reject(token, error));
      return ok({ token }, request.id);
    },
  );

  app.delete<Params>(
    '/v1/bus/consumers/:id',
    { preHandler, schema: { tags, summary: 'Leave the group', params: ConsumerParams } },
    async (request) => {
      await sessions.close(sessionOf(request));
      return ok({ id: request.params.id, closed: true }, request.id);
    },
  );
}
