import type { BusPort } from '@portico/sdk';
import type { FastifyInstance } from 'fastify';
import type { Identity } from '../../identity/identity.js';
import { busAdminDeadLetterRoutes } from './admin-dead-letter-routes.js';
import { busAdminTopicRoutes } from './admin-topic-routes.js';

/**
 * The bus admin API on the admin port (docs/bus.md, "Admin API"): topics, groups and their lag,
 * dead letters, redelivery and purges, behind the `bus.admin` permission.
 *
 * @example
 * ```ts
 * await app.register(busAdminRoutes, { bus, identity });
 * ```
 */
export async function busAdminRoutes(
  app: FastifyInstance,
  options: { bus: BusPort; identity: Identity },
): Promise<void> {
  await app.register(busAdminTopicRoutes, options);
  await app.register(busAdminDeadLetterRoutes, options);
}
