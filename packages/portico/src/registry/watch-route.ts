import type { ServerResponse } from 'node:http';
import { PorticoError } from '@portico/sdk';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { openEventStream } from '../http/event-stream.js';
import type { RegistryPort, WatchEvent } from './registry-port.js';

const WatchQuery = Type.Object(
  {
    since: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
    epoch: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

/** Comment lines keep idle proxies and load balancers from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;
/** A watcher this far behind is cut off; it reconnects with its last id and catches up. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/**
 * `GET /v1/registry/watch`: Server-Sent Events of every registry change. Each event's `id` is
 * `{epoch}:{revision}`, so a client that reconnects (EventSource sends `Last-Event-ID`; or pass
 * `?since=&epoch=`) gets exactly what it missed, or a fresh `snapshot` when that is gone.
 */
export function registerWatchRoute(app: FastifyInstance, registry: RegistryPort): void {
  const open = new Set<ServerResponse>();
  // Before the server stops accepting: end every stream so its connection closes at once
  // (the client reconnects elsewhere with its last id) instead of holding shutdown open.
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
  });

  app.get<{ Querystring: Static<typeof WatchQuery> }>(
    '/v1/registry/watch',
    { schema: { querystring: WatchQuery } },
    (request, reply) => {
      const from = resumePoint(request.query, request.headers['last-event-id']);
      const res = openEventStream(request, reply);
      open.add(res);
      const subscription = registry.watch(from, (event) => {
        res.write(format(event));
        if (res.writableLength > MAX_BUFFERED_BYTES) res.end();
      });
      const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
      res.on('close', () => {
        open.delete(res);
        subscription.close();
        clearInterval(keepalive);
      });
    },
  );
}

function resumePoint(query: Static<typeof WatchQuery>, lastEventId: string | string[] | undefined) {
  if (query.since !== undefined) return { since: Number(query.since), epoch: query.epoch };
  if (typeof lastEventId === 'string' && lastEventId !== '') {
    const match = /^([^:]{1,64}):([0-9]{1,15})$/.exec(lastEventId);
    if (!match)
      throw new PorticoError('VALIDATION_ERROR', 'Last-Event-ID must be {epoch}:{revision}', [
        { field: 'headers.last-event-id', message: 'must be {epoch}:{revision}' },
      ]);
    return { epoch: match[1], since: Number(match[2]) };
  }
  return {};
}

function format(event: WatchEvent): string {
  if (event.kind === 'snapshot') {
    const { revision, instances } = event.snapshot;
    const data = JSON.stringify({ epoch: event.epoch, revision, instances });
    return `event: snapshot\nid: ${event.epoch}:${revision}\ndata: ${data}\n\n`;
  }
  const data = JSON.stringify({ epoch: event.epoch, ...event.change });
  return `event: change\nid: ${event.epoch}:${event.change.revision}\ndata: ${data}\n\n`;
}
