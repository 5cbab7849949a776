import { pathOf } from '@portico/sdk';
import type { Logger } from 'pino';
import type { ResponseRecord } from '../http/observed-response.js';
import { traceIdOf } from '../tracing/trace-id.js';

/** Writes one access line for a finished request. */
export type AccessLog = (res: ResponseRecord, status: number, durationMs: number) => void;

/**
 * The gateway's access log: one JSON line per request at level `info`, with the request and
 * trace ids, who called (tenant, user), where it went (route, service, instance), and how it
 * went (status, bytes, duration, upstream time, retries, cache hit, error code). No headers and
 * no query string are logged: they are where credentials travel. Undefined when the lines would
 * be dropped anyway (the log level is above `info`), so the gateway then builds none.
 *
 * @example
 * ```ts
 * const accessLog = createAccessLog(logger);
 * res.once('close', () => accessLog?.(res, res.statusCode, performance.now() - res.startedAt));
 * ```
 */
export function createAccessLog(logger: Logger): AccessLog | undefined {
  if (!logger.isLevelEnabled('info')) return undefined;
  // The line holds only the fields below, none a secret, so it skips the logger's redaction:
  // its wildcard paths cost ~50 µs a line (measured: 54 µs with, 6 µs without), a third of a
  // proxied request.
  const access = logger.child({}, { redact: [] });
  return (res, status, durationMs) => {
    const req = res.req;
    access.info(
      {
        requestId: res.requestId || headerText(res.getHeader('x-request-id')),
        // Tracing on fills it; off, the caller's own trace id, read here so only logged requests pay.
        traceId: res.traceId ?? traceIdOf(req.headers.traceparent),
        method: req.method,
        path: pathOf(req.url),
        route: res.route,
        service: res.service,
        instance: res.instance,
        tenant: res.tenant,
        user: res.user,
        status,
        bytes: res.bytesSent(),
        durationMs: round(durationMs),
        upstreamMs: res.upstreamMs < 0 ? undefined : round(res.upstreamMs),
        retries: res.attempts > 1 ? res.attempts - 1 : 0,
        cacheHit: res.cacheHit,
        error: res.errorCode,
        // The caller went away before the response was complete.
        aborted: res.writableFinished ? undefined : true,
        ip: req.socket?.remoteAddress,
      },
      'request',
    );
  };
}

function headerText(value: number | string | string[] | undefined): string | undefined {
  return value === undefined ? undefined : String(value);
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
