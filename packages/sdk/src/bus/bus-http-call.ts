import { PorticoError } from '../errors.js';

/** How an `HttpBus` proves who it is: an API key, or an access token (or a function that returns a fresh one). */
export interface BusCredentials {
  /** Sent as `x-api-key`. */
  apiKey?: string;
  /** Sent as `Authorization: Bearer`; a function is called before every request (refresh it there). */
  token?: string | (() => string | Promise<string>);
}

/** One call of the bus HTTP API: the envelope's `data`, or the `PorticoError` it answered. */
export type BusHttpCall = <T>(method: string, path: string, body?: unknown, timeoutMs?: number) => Promise<T>;

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
  const base = baseUrl.replace(/\/+$/, '');
  return async <T>(method: string, path: string, body?: unknown, timeoutMs = defaultTimeoutMs): Promise<T> => {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (credentials.apiKey !== undefined) headers['x-api-key'] = credentials.apiKey;
    const token = typeof credentials.token === 'function' ? await credentials.token() : credentials.token;
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await fetch(base + path, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      throw new PorticoError('SERVICE_UNAVAILABLE', `the bus at ${base} is unreachable`, undefined, { cause });
    }
    const payload: unknown = await response.json().catch(() => null);
    if (!response.ok || (payload as { success?: boolean } | null)?.success !== true) {
      throw PorticoError.fromEnvelope(payload, response.status);
    }
    return (payload as { data: T }).data;
  };
}

/** Tells whether an error is the bus's `code` (in `details.code` of a rebuilt `PorticoError`). */
export function isBusCode(error: unknown, code: string): boolean {
  return error instanceof PorticoError && (error.details as { code?: unknown } | undefined)?.code === code;
}
