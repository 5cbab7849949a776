import { PorticoError } from './errors.js';

/** How an SDK client of an admin API proves who it is: an API key, or an access token (or a function that returns a fresh one). */
export interface AdminCredentials {
  /** Sent as `x-api-key`. */
  apiKey?: string;
  /** Sent as `Authorization: Bearer`; a function is called before every request (refresh it there). */
  token?: string | (() => string | Promise<string>);
}

/** One call of an admin API: the envelope's `data`, or the `PorticoError` it answered. */
export type AdminHttpCall = <T>(method: string, path: string, body?: unknown, timeoutMs?: number) => Promise<T>;

/**
 * A caller of one of Portico's admin APIs (bus, scheduler, …) at `baseUrl` (the admin port) with
 * `credentials`. Errors come back as `PorticoError`s rebuilt from the envelope; an unreachable
 * Portico is a `SERVICE_UNAVAILABLE` that names `what` was called.
 *
 * @example
 * ```ts
 * const call = adminHttpCall('http://127.0.0.1:9080', { apiKey }, 10_000, 'the scheduler');
 * const schedules = await call('GET', '/v1/scheduler/acme/schedules');
 * ```
 */
export function adminHttpCall(
  baseUrl: string,
  credentials: AdminCredentials,
  defaultTimeoutMs: number,
  what: string,
): AdminHttpCall {
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
      throw new PorticoError('SERVICE_UNAVAILABLE', `${what} at ${base} is unreachable`, undefined, { cause });
    }
    const payload: unknown = await response.json().catch(() => null);
    if (!response.ok || (payload as { success?: boolean } | null)?.success !== true) {
      throw PorticoError.fromEnvelope(payload, response.status);
    }
    return (payload as { data: T }).data;
  };
}
