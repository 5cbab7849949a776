import type { Socket } from 'node:net';
import { PorticoError } from '@portico/sdk';
import { errorEnvelopeText } from './envelope-response.js';
import { requestIdFrom } from './request-id.js';

type Answer = [status: number, reason: string, error: PorticoError];

const HEADERS_TOO_LARGE: Answer = [
  431,
  'Request Header Fields Too Large',
  new PorticoError('HEADERS_TOO_LARGE', 'the request headers are larger than the limit'),
];

/** Parser errors Node raises before any handler runs, and how each is answered. */
const ANSWERS: Record<string, Answer> = {
  HPE_HEADER_OVERFLOW: HEADERS_TOO_LARGE,
  // The gateway's own server's parse errors (see gateway/http1/request-head.ts).
  HEADERS_TOO_LARGE,
  VERSION_NOT_SUPPORTED: [
    505,
    'HTTP Version Not Supported',
    new PorticoError('VALIDATION_ERROR', 'only HTTP/1.0 and HTTP/1.1 are served'),
  ],
  ERR_HTTP_REQUEST_TIMEOUT: [
    408,
    'Request Timeout',
    new PorticoError('REQUEST_TIMEOUT', 'the request was not received in time'),
  ],
};
const BAD_REQUEST: Answer = [400, 'Bad Request', new PorticoError('VALIDATION_ERROR', 'the request is not valid HTTP')];

/**
 * Answers a request Node (or the gateway's own server) could not parse (`clientError`): it never
 * reaches a handler, so the envelope is written straight to the socket, and the connection is closed.
 *
 * @example
 * ```ts
 * server.on('clientError', answerClientError);
 * ```
 */
export function answerClientError(error: { code?: string | undefined }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, porticoError] = ANSWERS[error.code ?? ''] ?? BAD_REQUEST;
  const requestId = requestIdFrom(undefined);
  const body = errorEnvelopeText(porticoError, requestId);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
  );
}
