/**
 * Why an upstream exchange failed, as the gateway's own client says it. The codes sit beside
 * the system's (`ECONNREFUSED`, `ECONNRESET`, …) in the retry and error rules of the exchange.
 */
export type UpstreamErrorCode =
  /** Connecting took longer than the service's `connectTimeoutMs`; nothing was sent. */
  | 'PORTICO_CONNECT_TIMEOUT'
  /** No byte of the body arrived for `tryTimeoutMs`. */
  | 'PORTICO_BODY_TIMEOUT'
  /** The upstream closed the connection before its response ended. */
  | 'PORTICO_UPSTREAM_CLOSED'
  /** The response broke HTTP/1.1 framing or syntax. */
  | 'PORTICO_BAD_RESPONSE'
  /** The instance left the table before the request got a connection; nothing was sent. */
  | 'PORTICO_POOL_CLOSED';

/**
 * An error of the gateway's upstream client, with a stable `code`.
 *
 * @example
 * ```ts
 * throw new UpstreamError('PORTICO_BAD_RESPONSE', 'bad response from the upstream: status line is malformed');
 * ```
 */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';

  constructor(
    readonly code: UpstreamErrorCode,
    message: string,
  ) {
    super(message);
  }
}
