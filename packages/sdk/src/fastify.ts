import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';

/**
 * Turns a Fastify app into a handler for {@link serve}: the app keeps its routes, hooks and
 * schemas, and the SDK keeps the socket, the lifecycle and the probes.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { serve } from '@portico/sdk';
 * import { fastifyHandler } from '@portico/sdk/fastify';
 * const app = Fastify();
 * app.get('/orders/:id', async (req) => ({ id: (req.params as { id: string }).id }));
 * await serve({ service: 'orders', handler: await fastifyHandler(app) });
 * ```
 */
export async function fastifyHandler(
  app: FastifyInstance,
): Promise<(req: IncomingMessage, res: ServerResponse) => void> {
  await app.ready();
  return (req, res) => app.routing(req, res);
}
