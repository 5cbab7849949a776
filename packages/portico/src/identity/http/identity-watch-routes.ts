import type { ServerResponse } from 'node:http';
import { ok } from '@portico/sdk';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { openEventStream } from '../../http/event-stream.js';
import { peerGuard } from '../../http/shared-secret.js';
import type { IdentityWatchEvent } from '../identity-port.js';
import type { InProcessIdentityPort } from '../in-process-port.js';

/** Comment lines keep idle proxies and load balancers from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;
/** A watcher this far behind is cut off; it reconnects and starts again from a snapshot. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

const UsesBody = Type.Object(
  { ids: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 10_000 }) },
  { additionalProperties: false },
);

/**
 * Identity for gateways in other processes (`portico start gateway`), on the identity process's
 * admin port: `GET /v1/identity/watch` streams a snapshot of verification material (public keys,
 * API-key hashes, tenants, revocations, the API-key HMAC key) and then every change, as
 * Server-Sent Events; `POST /v1/identity/api-key-uses` records keys' "last used". Both need the
 * platform's shared `clusterSecret`: the snapshot holds the key that checks API keys.
 *
 * @example
 * ```ts
 * await app.register(identityWatchRoutes, { port, secret: config.clusterSecret });
 * ```
 */
export async function identityWatchRoutes(
  app: FastifyInstance,
  options: { port: InProcessIdentityPort; secret: string },
): Promise<void> {
  const guard = peerGuard(options.secret, "identity's watch");
  const requirePeer = (request: FastifyRequest) => guard(request.headers.authorization);
  const open = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
  });

  app.get('/v1/identity/watch', (request, reply) => {
    requirePeer(request);
    const res = openEventStream(request, reply, 'no-store');
    open.add(res);
    const watch = options.port.watch((event) => {
      res.write(format(event));
      if (res.writableLength > MAX_BUFFERED_BYTES) res.end();
    });
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    res.on('close', () => {
      open.delete(res);
      watch.close();
      clearInterval(keepalive);
    });
  });

  app.post<{ Body: Static<typeof UsesBody> }>(
    '/v1/identity/api-key-uses',
    { schema: { body: UsesBody } },
    async (request) => {
      requirePeer(request);
      await options.port.reportApiKeyUses(request.body.ids);
      return ok({ recorded: request.body.ids.length }, request.id);
    },
  );
}

function format(event: IdentityWatchEvent): string {
  const data = JSON.stringify(event.kind === 'snapshot' ? event.snapshot : event.change);
  return `event: ${event.kind}\ndata: ${data}\n\n`;
}
