import { type IncomingMessage, ServerResponse } from 'node:http';
import type { ServiceMetrics } from '../observability/service-metrics.js';

/**
 * The gateway's response object, carrying what the request's access line and metrics need as
 * the request goes through routing, policies and tries. The gateway's server makes every
 * response one of these (`createServer({ ServerResponse: ObservedResponse })`), so recording
 * a request allocates nothing besides the response itself; each stage fills in what it learns.
 *
 * @example
 * ```ts
 * const server = createServer({ ServerResponse: ObservedResponse }, (req, res) => {
 *   res.service = 'orders';
 * });
 * ```
 */
export class ObservedResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  /** `performance.now()` when the response object was made: as the request reached the handler. */
  readonly startedAt = performance.now();
  /**
   * The socket's byte count before this response, to tell the bytes this response sent. A field
   * initializer, not a constructor: the implicit one passes Node's options (highWaterMark...) on.
   */
  readonly socketBytesBefore: number = this.req.socket?.bytesWritten ?? 0;
  requestId = '';
  /** W3C trace id of the request; filled by tracing, absent when it is off. */
  traceId: string | undefined = undefined;
  /** The route pattern that answered, e.g. `/api/{service}`; not the raw path. */
  route: string | undefined = undefined;
  /** The service named in the path, known or not (logs only; metrics use `metrics.service`). */
  service: string | undefined = undefined;
  /** Where the request is counted; unset means "unknown service". */
  metrics: ServiceMetrics | undefined = undefined;
  /** Id of the instance the last try went to. */
  instance: string | undefined = undefined;
  tenant: string | undefined = undefined;
  /** The principal's subject: user id, client id or API key id. */
  user: string | undefined = undefined;
  /** Tries sent to instances; retries are this minus one. */
  attempts = 0;
  /** Answered from the fallback cache. */
  cacheHit = false;
  /** Milliseconds from sending the last try to its response headers; -1 when none answered. */
  upstreamMs = -1;
  /** The forward under way, told when the response closes (the caller may have left first). */
  exchange: { onClientClose(): void } | undefined = undefined;
  /** The envelope code of an error the gateway itself answered with. */
  errorCode: string | undefined = undefined;

  /** Bytes written to the client for this response: status line, headers and body. */
  bytesSent(): number {
    const socket = this.req.socket;
    return socket ? socket.bytesWritten - this.socketBytesBefore : 0;
  }
}

/**
 * The observed response behind a raw one, or undefined for a response made elsewhere (a unit
 * test's, the admin port's): code shared with those records only when there is somewhere to.
 *
 * @example
 * ```ts
 * const seen = observed(res);
 * if (seen) seen.cacheHit = true;
 * ```
 */
export function observed(res: ServerResponse): ObservedResponse | undefined {
  return res instanceof ObservedResponse ? res : undefined;
}
