import type { ResponseRecord } from '../http/observed-response.js';
import type { AccessLog } from './access-log.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { methodIndex } from './service-metrics.js';

/** The status recorded for a request whose caller left before any response was sent (nginx's 499). */
export const CLIENT_CLOSED = 499;

/**
 * What the gateway does when a response closes: count it in its service's cells (or under
 * `_unknown`), and write its access line. Runs once per request, so it does arithmetic on
 * cells the route already holds, and allocates only for the access line.
 *
 * @example
 * ```ts
 * const record = requestRecorder(metrics.gateway(), createAccessLog(logger));
 * res.once('close', () => record(res));
 * ```
 */
export function requestRecorder(
  metrics: GatewayMetrics | undefined,
  accessLog: AccessLog | undefined,
): (res: ResponseRecord) => void {
  return (res) => {
    const status = res.headersSent ? res.statusCode : CLIENT_CLOSED;
    const durationMs = performance.now() - res.startedAt;
    if (metrics) {
      const series = res.metrics ?? metrics.unknown;
      series.request(methodIndex(res.req.method), status, durationMs / 1000);
      if (res.errorCode !== undefined) series.error(res.errorCode);
    }
    accessLog?.(res, status, durationMs);
  };
}
