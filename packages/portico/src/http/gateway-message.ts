import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';

/**
 * What the gateway reads of a request. Both its own HTTP/1.1 server's requests and node:http's
 * `IncomingMessage` (on connections handed over to node:http) have this shape, so routing, the
 * policies and the forward are written once for both.
 *
 * @example
 * ```ts
 * const tenant = (req: GatewayRequest) => req.headers['x-tenant-id'];
 * ```
 */
export interface GatewayRequest {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly httpVersion: string;
  readonly headers: IncomingHttpHeaders;
  readonly socket: Socket;
}

/**
 * What the gateway does to a response: the part of node:http's `ServerResponse` its code uses,
 * which the gateway's own server implements without Node's stream machinery.
 *
 * @example
 * ```ts
 * const answer = (res: GatewayResponse) => {
 *   res.writeHead(204, { 'x-request-id': 'r-1' });
 *   res.end();
 * };
 * ```
 */
export interface GatewayResponse {
  statusCode: number;
  readonly headersSent: boolean;
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  /** True once the whole answer was handed to the socket. */
  readonly writableFinished: boolean;
  setHeader(name: string, value: number | string | readonly string[]): unknown;
  getHeader(name: string): number | string | string[] | undefined;
  writeHead(status: number, headers?: OutgoingHttpHeaders): unknown;
  writeHead(status: number, reason: string | undefined, headers?: OutgoingHttpHeaders): unknown;
  /** False when the socket's buffer is full: wait for `drain`. */
  write(chunk: Buffer | string): boolean;
  end(chunk?: Buffer | string): unknown;
  /** Cuts the answer off: the caller sees it incomplete. */
  destroy(error?: Error): unknown;
  once(event: 'close' | 'drain', listener: () => void): unknown;
}
