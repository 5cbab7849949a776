import type { Instance } from '../registry-types.js';
import type { ServiceLogger } from '../serve.js';

/** An HTTP method a service client sends. */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

/** One value of a query parameter; `undefined` leaves the parameter out. */
export type QueryValue = string | number | boolean;

/** Retries: only when safe, to another instance, with jittered exponential backoff, within a budget. */
export interface RetryOptions {
  /** Tries in all, the first included (as the gateway's `retries.attempts`); default 3. */
  attempts?: number;
  /** First backoff delay; default 25 ms. */
  backoffBaseMs?: number;
  /** Longest backoff delay; default 250 ms. */
  backoffMaxMs?: number;
  /** Retries allowed per 100 calls of the budget's window; default 20. */
  budgetPercent?: number;
  /** How far back the budget counts calls and retries, in whole seconds; default 10 s. */
  budgetWindowMs?: number;
  /** Retries allowed in any one second whatever the ratio says; default 10. */
  budgetMinRetriesPerSecond?: number;
}

/** The circuit breaker of the service: opens after consecutive failures, probes after a pause. */
export interface BreakerOptions {
  /** Consecutive failed calls that open it; default 5. */
  failureThreshold?: number;
  /** How long it stays open before one probe call may pass; default 5 s. */
  openMs?: number;
}

/** The stale-if-error cache of GET answers. */
export interface FallbackOptions {
  /** Answers kept, least recently stored dropped first; default 500. */
  maxEntries?: number;
  /** Oldest answer still served when the service fails; default 5 minutes. */
  maxAgeMs?: number;
}

/** Settings of a {@link ServiceClient}. */
export interface ServiceClientOptions {
  /** Registry base URL (the admin port); default `PORTICO_REGISTRY_URL` or `http://127.0.0.1:9080`. */
  registry?: string;
  /** Time limit of one try; default 10 s. */
  timeoutMs?: number;
  /** Time limit of a whole call, retries and backoff included; default 30 s. */
  totalTimeoutMs?: number;
  /** How long a first call waits for the registry's first answer; default 2 s. */
  discoveryTimeoutMs?: number;
  /** Headers sent on every call. */
  headers?: Record<string, string>;
  /** Retry settings, or `false` to never retry. */
  retry?: RetryOptions | false;
  /** Circuit breaker settings, or `false` for none. */
  breaker?: BreakerOptions | false;
  /** Fallback cache settings, or `false` for none. */
  fallback?: FallbackOptions | false;
  /** Where the registry watch reports an outage; default `console`. */
  logger?: ServiceLogger;
}

/** Headers of an incoming request, as `node:http` or Fastify give them. */
export interface IncomingLike {
  headers: Record<string, string | string[] | undefined>;
}

/** Options of one call. */
export interface CallOptions {
  headers?: Record<string, string>;
  /** Appended to the path; arrays repeat the parameter. */
  query?: Record<string, QueryValue | readonly QueryValue[] | undefined>;
  /** A string or bytes are sent as they are; anything else as JSON. */
  body?: unknown;
  /** Time limit of one try, instead of the client's. */
  timeoutMs?: number;
  /** Cancels the call. */
  signal?: AbortSignal;
  /** The incoming request this call serves: its `x-request-id` and `traceparent` go along. */
  from?: IncomingLike;
  /** `x-request-id` to send; default the one of `from`, or a new UUID shared by every try. */
  requestId?: string;
  /** W3C `traceparent` to send; default the one of `from`. */
  traceparent?: string;
  /** Declares a non-idempotent call safe to repeat (it carries an idempotency key, say). */
  idempotent?: boolean;
  /** `false` never retries this call. */
  retry?: boolean;
  /** `false` never answers this call from the fallback cache. */
  fallback?: boolean;
}

/** Options of {@link ServiceClient.request}: a call with its method. */
export interface RequestOptions extends CallOptions {
  /** Default `GET`. */
  method?: HttpMethod;
}

/** A call's answer with what the policies did to get it. */
export interface ServiceResponse<T> {
  /** The envelope's `data`, or the body as it came when it is not an envelope. */
  data: T;
  status: number;
  headers: Headers;
  /** The instance that answered; undefined for an answer from the fallback cache. */
  instanceId: string | undefined;
  /** Tries made, the first included (0 when served from the cache without trying). */
  attempts: number;
  /** True when the service failed (or its breaker is open) and this is the last good answer. */
  stale: boolean;
  /** When a stale answer was stored. */
  storedAt: Date | undefined;
}

/** State of a service's circuit breaker. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * A client of another service: discovers its instances through the registry watch and calls
 * them with timeouts, safe retries within a budget, a circuit breaker and a fallback cache.
 * Create one per service and reuse it: the breaker and the cache live in it.
 *
 * @example
 * ```ts
 * const orders = createServiceClient('orders');
 * const order = await orders.get<Order>('/orders/42', { from: req });
 * await orders.post('/orders', { body: { item: 'book' } });
 * ```
 */
export interface ServiceClient {
  /** The service this client calls. */
  readonly service: string;
  /** The breaker's state; always `closed` without a breaker. */
  readonly breakerState: BreakerState;
  get<T = unknown>(path: string, options?: CallOptions): Promise<T>;
  post<T = unknown>(path: string, options?: CallOptions): Promise<T>;
  put<T = unknown>(path: string, options?: CallOptions): Promise<T>;
  patch<T = unknown>(path: string, options?: CallOptions): Promise<T>;
  delete<T = unknown>(path: string, options?: CallOptions): Promise<T>;
  /** Any method; answers with status, headers and whether the answer is stale. */
  request<T = unknown>(path: string, options?: RequestOptions): Promise<ServiceResponse<T>>;
  /** The instances the client knows of, as the registry last told it. */
  instances(): readonly Instance[];
  /** Stops using the registry watch (it stops when its last client closes). */
  close(): Promise<void>;
}
