import { type BusPort, ok, type PublishInput } from '@portico/sdk';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { principalOf, requireCredential } from '../../identity/http/principal.js';
import type { Identity } from '../../identity/identity.js';
import { BUS_PUBLISH_PERMISSION, publishTenant, requireBusPermission } from './bus-access.js';
import { busHttpError } from './bus-http-errors.js';

export { BUS_PUBLISH_PERMISSION };

const PublishBody = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 200 }),
    data: Type.Unknown(),
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    tenantId: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()])),
    key: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    traceparent: Type.Optional(Type.String({ maxLength: 200 })),
    delayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 * 86_400_000 })),
  },
  { additionalProperties: false },
);

/**
 * `POST /v1/bus/messages`: a service (or an administrator) publishes one message, answered once
 * it is durable — 201 with the receipt, 200 when the id was a duplicate within the window. The
 * caller needs `bus.publish`; a message belongs to the caller's tenant, and only a principal of
 * the platform tenant may publish for another tenant (or for none).
 *
 * @example
 * ```ts
 * await app.register(busPublishRoute, { bus, identity });
 * ```
 */
export async function busPublishRoute(
  app: FastifyInstance,
  { bus, identity }: { bus: BusPort; identity: Identity },
): Promise<void> {
  app.post<{ Body: Static<typeof PublishBody> }>(
    '/v1/bus/messages',
    {
      preHandler: requireCredential(identity),
      schema: { tags: ['bus'], summary: 'Publish a message', body: PublishBody },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const input = request.body as PublishInput;
      requireBusPermission(principal, BUS_PUBLISH_PERMISSION, 'publishing');
      const tenantId = publishTenant(principal, input.tenantId);
      try {
        const receipt = await bus.publish({ ...input, tenantId });
        reply.code(receipt.duplicate ? 200 : 201);
        return ok(receipt, request.id);
      } catch (error) {
        // The adapters refuse bad topics, keys or delays with a BusError: the caller's mistake.
        throw busHttpError(error);
      }
    },
  );
}
