import { type IncomingMessage, ServerResponse } from 'node:http';
import type { ServiceMetrics } from '../observability/service-metrics.js';
import type { GatewayRequest, GatewayResponse } from './gateway-message.js';

/** Marks the responses that carry a {@link ResponseRecord} (a getter on their prototype). */
export const RECORDED: unique symbol = Symbol('portico.recorded');

/**
 * What a gateway response carries for its access line and metrics, filled in by each stage as
 * the request goes through routing, policies and tries. Both the gateway's own server's
 * responses and node:http's (as {@link ObservedResponse}) carry it.
 */
export interface ResponseRecord extends GatewayResponse {
  readonly [RECORDED]: true;
  readonly req: GatewayRequest;
  /** `performance.now()` when the response object was made: as the request reached the handler. */
  readonly startedAt: number;
  requestId: string;
  /** W3C trace id of the request; filled by tracing, absent when it is off. */
  traceId: string | undefined;
  /** The route pattern that answered, e.g. `/api/{service}`; not the raw path. */
  route: string | undefined;
  /** The service named in the path, known or not (logs only; metrics use `metrics.service`). */
  service: string | undefined;
  /** Where the request is counted; unset means "unknown service". */
  metrics: ServiceMetrics | undefined;
  /** Id of the instance the last try went to. */
  instance: string | undefined;
  tenant: string | undefined;
  /** The principal's subject: user id, client id or API key id. */
  user: string | undefined;
  /** Tries sent to instances; retries are this minus one. */
  attempts: number;
  /** Answered from the fallback cache. */
  cacheHit: boolean;
  /** Milliseconds from sending the last try to its response headers; -1 when none answered. */
  upstreamMs: number;
  /** The forward under way, told when the response closes (the caller may have left first). */
  exchange: { onClientClose(): void } | undefined;
  /** The envelope code of an error the gateway itself answered with. */
  errorCode: string | undefined;
  /** Bytes written to the client for this response: status line, headers and body. */
  bytesSent(): number;
}

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
export class ObservedResponse<Request extends IncomingMessage = IncomingMessage>
  extends ServerResponse<Request>
  implements ResponseRecord
{
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

  get [RECORDED](): true {
    return true;
  }

  /** Bytes written to the client for this response: status line, headers and body. */
  bytesSent(): number {
    const socket = this.req.socket;
    return socket ? socket.bytesWritten - this.socketBytesBefore : 0;
  }
}

/**
 * The record a response carries, or undefined for a response made elsewhere (a unit test's, the
 * admin port's): code shared with those responses records only when there is somewhere to.
 *
 * @example
 * ```ts
 * const seen = observed(res);
 * if (seen) seen.cacheHit = true;
 * ```
 */
export function observed(res: GatewayResponse): ResponseRecord | undefined {
  return (res as Partial<ResponseRecord>)[RECORDED] === true ? (res as ResponseRecord) : undefined;
}
