import { type AdminCredentials, type AdminHttpCall, adminHttpCall } from '../admin-http-call.js';
import { PorticoError } from '../errors.js';

/** How an `HttpBus` proves who it is: an API key, or an access token (or a function that returns a fresh one). */
export type BusCredentials = AdminCredentials;

/** One call of the bus HTTP API: the envelope's `data`, or the `PorticoError` it answered. */
export type BusHttpCall = AdminHttpCall;

/**
 * A caller of Portico's bus HTTP API at `baseUrl` (the admin port) with `credentials`. Errors come
 * back as `PorticoError`s rebuilt from the envelope (the bus's own code in `details.code`); an
 * unreachable Portico is a `SERVICE_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * const call = busHttpCall('http://127.0.0.1:9080', { apiKey }, 10_000);
 * const receipt = await call('POST', '/v1/bus/messages', { type: 'order.verified', data: {} });
 * ```
 */
export function busHttpCall(baseUrl: string, credentials: BusCredentials, defaultTimeoutMs: number): BusHttpCall {
  return adminHttpCall(baseUrl, credentials, defaultTimeoutMs, 'the bus');
}

/** Tells whether an error is the bus's `code` (in `details.code` of a rebuilt `PorticoError`). */
export function isBusCode(error: unknown, code: string): boolean {
  return error instanceof PorticoError && (error.details as { code?: unknown } | undefined)?.code === code;
}
