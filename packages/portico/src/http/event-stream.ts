import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Takes a Fastify reply over as a Server-Sent Events stream: the head every watch route sends
 * (no proxy buffering, the connection ends with the stream, the client retries after 1 s) and
 * the `retry` line. `no-store` is for streams that carry secrets (the identity watch).
 *
 * @example
 * ```ts
 * const res = openEventStream(request, reply);
 * res.write('event: ready\ndata: {}\n\n');
 * ```
 */
export function openEventStream(
  request: FastifyRequest,
  reply: FastifyReply,
  cache: 'no-cache' | 'no-store' = 'no-cache',
): ServerResponse {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': `${cache}, no-transform`,
    // The stream owns its connection; when it ends, so does the connection.
    connection: 'close',
    'x-accel-buffering': 'no',
    'x-request-id': request.id,
  });
  res.write('retry: 1000\n\n');
  return res;
}
