import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { type Caller, callerOf } from './identity/caller.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller the gateway asserted, verified by `serve()`; undefined on public paths. */
    readonly caller: Caller | undefined;
  }
}

/**
 * Turns a Fastify app into a handler for {@link serve}: the app keeps its routes, hooks and
 * schemas, and the SDK keeps the socket, the lifecycle and the probes. Routes read the verified
 * caller as `request.caller` (call this before `app.ready()`, which it calls itself).
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { serve } from '@portico/sdk';
 * import { fastifyHandler } from '@portico/sdk/fastify';
 * const app = Fastify();
 * app.get('/orders/:id', async (req) => ({ id: (req.params as { id: string }).id, tenant: req.caller?.tenant }));
 * await serve({ service: 'orders', handler: await fastifyHandler(app) });
 * ```
 */
export async function fastifyHandler(
  app: FastifyInstance,
): Promise<(req: IncomingMessage, res: ServerResponse) => void> {
  if (!app.hasRequestDecorator('caller')) {
    app.decorateRequest('caller', {
      getter(this: { raw: IncomingMessage }) {
        return callerOf(this.raw);
      },
    });
  }
  await app.ready();
  return (req, res) => app.routing(req, res);
}
