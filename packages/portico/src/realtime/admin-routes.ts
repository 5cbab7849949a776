import type { IncomingHttpHeaders } from 'node:http';
import { ok } from '@portico/sdk';
import type { FastifyInstance } from 'fastify';
import { type HubAdminSource, hubAdminApi } from './hub-admin-api.js';

/** One read-only admin operation of the hub, as either admin server mounts it. */
export interface HubAdminOperation {
  path: string;
  summary: string;
  run(headers: IncomingHttpHeaders): Promise<unknown>;
}

/**
 * The hub's admin routes on the admin port: `GET /v1/realtime/connections` (sockets per tenant)
 * and `GET /v1/realtime/channels` (channels with their subscriber and history counts). They
 * describe this process's hub: with several gateway processes, ask each.
 *
 * @example
 * ```ts
 * for (const op of hubAdminOperations({ hub, identity })) leanAdd('GET', op.path, op);
 * ```
 */
export function hubAdminOperations(source: HubAdminSource): HubAdminOperation[] {
  const api = hubAdminApi(source);
  return [
    { path: '/v1/realtime/connections', summary: 'Sockets of this hub per tenant', run: api.connections },
    { path: '/v1/realtime/channels', summary: 'Channels of this hub with subscribers', run: api.channels },
  ];
}

/**
 * The same routes as a Fastify plugin, for the full admin app.
 *
 * @example
 * ```ts
 * await app.register(realtimeAdminRoutes, { hub, identity: identityView });
 * ```
 */
export async function realtimeAdminRoutes(app: FastifyInstance, source: HubAdminSource): Promise<void> {
  for (const op of hubAdminOperations(source)) {
    app.get(op.path, { schema: { tags: ['realtime'], summary: op.summary } }, async (request) =>
      ok(await op.run(request.headers), request.id),
    );
  }
}
