import { type ErrorCode, PorticoError } from '@portico/sdk';
import type { GatewayResponse } from './gateway-message.js';
import { observed } from './observed-response.js';

/**
 * Writes an error envelope, with its `x-request-id` header, straight to a raw response: the
 * gateway's hot path uses it, where there is no framework to do so.
 */
export function sendError(
  res: GatewayResponse,
  requestId: string,
  code: ErrorCode,
  message: string,
  details?: unknown,
): void {
  const error = new PorticoError(code, message, details);
  // The access line and the errors metric say which error the gateway answered with.
  const seen = observed(res);
  if (seen !== undefined) seen.errorCode = code;
  sendJson(res, error.status, errorEnvelopeText(error, requestId), { 'x-request-id': requestId });
}

/** The envelope text of an error, built without an intermediate object graph. */
export function errorEnvelopeText(error: PorticoError, requestId: string): string {
  return `{"success":false,"error":${JSON.stringify(error.toJSON())},"meta":{"requestId":${JSON.stringify(requestId)},"timestamp":"${new Date().toISOString()}"}}`;
}

/**
 * Sets each of `headers` on a response not yet written: the headers policies leave for the
 * gateway's own answers (rate-limit state, `Retry-After`). Off the proxied path, which merges
 * them into the one header object it writes instead.
 */
export function setHeaders(res: GatewayResponse, headers: Readonly<Record<string, string>> | undefined): void {
  if (headers !== undefined) for (const name in headers) res.setHeader(name, headers[name] as string);
}

/** Writes a JSON body with its length; `headers` are added to the response. */
export function sendJson(res: GatewayResponse, status: number, text: string, headers?: Record<string, string>): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  setHeaders(res, headers);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    // JSON only: a browser must never sniff an error message into HTML.
    'x-content-type-options': 'nosniff',
  });
  res.end(text);
}
