import { type BusPort, ok, PorticoError, type PublishInput, permissionCovers } from '@portico/sdk';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { principalOf, requireCredential } from '../../identity/http/principal.js';
import type { Identity } from '../../identity/identity.js';
import type { Principal } from '../../identity/model.js';
import { PLATFORM_TENANT } from '../../identity/permissions.js';
import { BusError } from '../errors.js';

/** The permission a caller needs to publish; `bus.*` or `*` cover it too. */
export const BUS_PUBLISH_PERMISSION = 'bus.publish';

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
      const tenantId = publishTenant(principal, input.tenantId);
      try {
        const receipt = await bus.publish({ ...input, tenantId });
        reply.code(receipt.duplicate ? 200 : 201);
        return ok(receipt, request.id);
      } catch (error) {
        // The adapters refuse bad topics, keys or delays with a BusError: the caller's mistake.
        if (error instanceof BusError && error.status < 500) {
          throw new PorticoError('VALIDATION_ERROR', error.message, { code: error.code });
        }
        throw error;
      }
    },
  );
}

/** The tenant a publish is for, after checking the caller may publish for it. */
function publishTenant(principal: Principal, asked: string | null | undefined): string | null {
  if (!principal.permissions.some((granted) => permissionCovers(granted, BUS_PUBLISH_PERMISSION))) {
    throw new PorticoError('AUTHORIZATION_ERROR', `publishing needs the ${BUS_PUBLISH_PERMISSION} permission`);
  }
  const own = principal.tenant === PLATFORM_TENANT ? null : principal.tenant;
  if (asked === undefined || asked === own) return own;
  if (principal.tenant !== PLATFORM_TENANT) {
    throw new PorticoError('AUTHORIZATION_ERROR', 'a message can only be published for your own tenant', {
      tenant: asked,
    });
  }
  return asked;
}
