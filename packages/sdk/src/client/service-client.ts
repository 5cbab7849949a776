import { BrokenCircuitError } from 'cockatiel';
import { PorticoError } from '../errors.js';
import type { Instance } from '../registry-types.js';
import { type PreparedCall, prepareCall, type TryResult, tryOnce } from './attempt.js';
import { discover, type InstanceSource } from './discovery.js';
import { AttemptFailure, noInstance } from './failures.js';
import { FallbackCache } from './fallback-cache.js';
import { InstancePicker } from './instance-picker.js';
import { breakerState, buildPolicies, type ClientPolicies, runPolicies } from './policies.js';
import { RetryBudget } from './retry-budget.js';
import type {
  BreakerState,
  CallOptions,
  HttpMethod,
  RequestOptions,
  ServiceClient,
  ServiceClientOptions,
  ServiceResponse,
} from './types.js';

/** Methods a retry cannot make worse (RFC 9110 idempotent methods). */
const IDEMPOTENT = new Set<HttpMethod>(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** What one call remembers across its tries. */
interface CallState {
  tried: Set<string>;
  attempts: number;
}

type Outcome = { fresh: TryResult } | { stale: { data: unknown; status: number; headers: Headers; storedAt: number } };

/**
 * A client of one service. Discovery comes from an {@link InstanceSource} (the shared registry
 * watch, or a fixed list in tests); everything else is this client's own: round-robin, budget,
 * breaker and cache.
 */
export class ResilientClient implements ServiceClient {
  private readonly policies: ClientPolicies;
  private readonly budget: RetryBudget;
  private readonly picker = new InstancePicker();
  private readonly cache: FallbackCache | undefined;
  private readonly defaults: Record<string, string>;
  private readonly totalTimeoutMs: number;
  private readonly discoveryTimeoutMs: number;
  private closed = false;

  constructor(
    readonly service: string,
    private readonly source: InstanceSource,
    options: ServiceClientOptions = {},
  ) {
    this.policies = buildPolicies({
      timeoutMs: options.timeoutMs ?? 10_000,
      retry: options.retry,
      breaker: options.breaker,
    });
    const retry = options.retry === false ? {} : (options.retry ?? {});
    this.budget = new RetryBudget({
      percent: retry.budgetPercent,
      windowMs: retry.budgetWindowMs,
      minRetriesPerSecond: retry.budgetMinRetriesPerSecond,
    });
    this.cache = options.fallback === false ? undefined : new FallbackCache(options.fallback ?? {});
    this.defaults = options.headers ?? {};
    this.totalTimeoutMs = options.totalTimeoutMs ?? 30_000;
    this.discoveryTimeoutMs = options.discoveryTimeoutMs ?? 2_000;
  }

  get breakerState(): BreakerState {
    return breakerState(this.policies.breaker);
  }

  get<T = unknown>(path: string, options?: CallOptions): Promise<T> {
    return this.data<T>('GET', path, options);
  }

  post<T = unknown>(path: string, options?: CallOptions): Promise<T> {
    return this.data<T>('POST', path, options);
  }

  put<T = unknown>(path: string, options?: CallOptions): Promise<T> {
    return this.data<T>('PUT', path, options);
  }

  patch<T = unknown>(path: string, options?: CallOptions): Promise<T> {
    return this.data<T>('PATCH', path, options);
  }

  delete<T = unknown>(path: string, options?: CallOptions): Promise<T> {
    return this.data<T>('DELETE', path, options);
  }

  instances(): readonly Instance[] {
    return this.source.instances(this.service);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.source.release();
  }

  async request<T = unknown>(path: string, options: RequestOptions = {}): Promise<ServiceResponse<T>> {
    if (this.closed) throw new PorticoError('SERVICE_UNAVAILABLE', `the client of ${this.service} is closed`);
    const method = options.method ?? 'GET';
    const call = prepareCall(this.service, method, path, options, this.defaults);
    const total = AbortSignal.timeout(this.totalTimeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, total]) : total;
    const state: CallState = { tried: new Set(), attempts: 0 };
    const cacheKey =
      method === 'GET' && this.cache && options.fallback !== false
        ? FallbackCache.key(call.target, { ...this.defaults, ...options.headers })
        : undefined;
    try {
      // Only the first call waits for the registry's first snapshot; later ones find it synced.
      await this.source.ready(this.discoveryTimeoutMs);
      const outcome = await runPolicies<Outcome>(
        this.policies,
        {
          timeoutMs: options.timeoutMs,
          fallback: cacheKey === undefined ? undefined : () => this.staleAnswer(cacheKey),
        },
        (retryNumber, trySignal) =>
          this.attempt(call, state, retryNumber, trySignal, signal, options).then((fresh) => ({ fresh })),
        signal,
      );
      if ('stale' in outcome) {
        const { data, status, headers, storedAt } = outcome.stale;
        return {
          data: data as T,
          status,
          headers: new Headers(headers),
          instanceId: undefined,
          attempts: state.attempts,
          stale: true,
          storedAt: new Date(storedAt),
        };
      }
      const { data, status, headers, instanceId } = outcome.fresh;
      if (cacheKey !== undefined) this.cache?.store(cacheKey, { data, status, headers });
      return {
        data: data as T,
        status,
        headers,
        instanceId,
        attempts: state.attempts,
        stale: false,
        storedAt: undefined,
      };
    } catch (error) {
      throw this.callerError(error, options.signal, total);
    }
  }

  private async data<T>(method: HttpMethod, path: string, options: CallOptions = {}): Promise<T> {
    return (await this.request<T>(path, { ...options, method })).data;
  }

  /** One try, on the next instance this call has not tried; on failure, decides whether to retry. */
  private async attempt(
    call: PreparedCall,
    state: CallState,
    retryNumber: number,
    trySignal: AbortSignal,
    callSignal: AbortSignal,
    options: CallOptions,
  ): Promise<TryResult> {
    try {
      if (callSignal.aborted) throw callSignal.reason;
      const instances = this.source.instances(this.service);
      const instance = this.picker.pick(instances, state.tried);
      if (!instance) throw noInstance(this.service, instances.length);
      state.tried.add(instance.id);
      // A call pays into the budget once, when it first reaches an instance; each retry draws from it.
      if (++state.attempts === 1) this.budget.request();
      const result = await tryOnce(
        call,
        instance,
        state.attempts,
        trySignal,
        options.timeoutMs ?? this.policies.timeoutMs,
      );
      this.picker.succeeded(instance.id);
      return result;
    } catch (error) {
      if (callSignal.aborted) throw this.abortedCall(callSignal, options.signal);
      const failure =
        error instanceof AttemptFailure
          ? error
          : new AttemptFailure(new PorticoError('INTERNAL_ERROR', String(error), undefined, { cause: error }), {
              reached: true,
              serviceFailure: false,
              transient: false,
              instanceId: undefined,
            });
      if (failure.facts.serviceFailure && failure.facts.instanceId) this.picker.failed(failure.facts.instanceId);
      failure.retry = this.mayRetry(failure, call.method, state, retryNumber, options);
      throw failure;
    }
  }

  /** Safe (idempotent, or never reached), worth it, to another instance, and within the budget. */
  private mayRetry(
    failure: AttemptFailure,
    method: HttpMethod,
    state: CallState,
    retryNumber: number,
    options: CallOptions,
  ): boolean {
    if (options.retry === false || retryNumber >= this.policies.maxRetries || !failure.facts.transient) return false;
    const safe = !failure.facts.reached || IDEMPOTENT.has(method) || options.idempotent === true;
    if (!safe) return false;
    if (!this.picker.hasOther(this.source.instances(this.service), state.tried)) return false;
    return this.budget.tryRetry();
  }

  private abortedCall(callSignal: AbortSignal, callerSignal: AbortSignal | undefined): AttemptFailure {
    const byCaller = callerSignal?.aborted === true;
    const error = byCaller
      ? new PorticoError('SERVICE_UNAVAILABLE', `the call to ${this.service} was cancelled`, undefined, {
          cause: callSignal.reason,
        })
      : new PorticoError('UPSTREAM_TIMEOUT', `${this.service} did not answer within ${this.totalTimeoutMs} ms`, {
          service: this.service,
        });
    return new AttemptFailure(error, {
      reached: true,
      serviceFailure: !byCaller,
      transient: false,
      instanceId: undefined,
    });
  }

  private staleAnswer(key: string): Outcome | undefined {
    const entry = this.cache?.lookup(key);
    return entry ? { stale: entry } : undefined;
  }

  /** The error a caller sees: a `PorticoError`, or the caller's own abort reason. */
  private callerError(error: unknown, callerSignal: AbortSignal | undefined, total: AbortSignal): unknown {
    if (callerSignal?.aborted) return callerSignal.reason;
    if (error instanceof AttemptFailure) return error.error;
    if (error instanceof BrokenCircuitError) {
      return new PorticoError('SERVICE_UNAVAILABLE', `the circuit breaker of ${this.service} is open`, {
        service: this.service,
        breaker: 'open',
      });
    }
    if (total.aborted) {
      return new PorticoError('UPSTREAM_TIMEOUT', `${this.service} did not answer within ${this.totalTimeoutMs} ms`, {
        service: this.service,
      });
    }
    return error;
  }
}

/**
 * Creates a client of `service` that finds its instances through the registry watch (shared by
 * every client of the same registry, opened on the first call) and calls them with a per-try
 * timeout, safe retries to another instance within a retry budget, a circuit breaker and a
 * stale-if-error cache for GET. Answers are the envelope's `data`; errors are rebuilt
 * `PorticoError`s. Works with or without `serve()`; inside a service, `service.client(name)`
 * gives the same with the service's registry.
 *
 * @example
 * ```ts
 * import { createServiceClient } from '@portico/sdk';
 *
 * const orders = createServiceClient('orders', { timeoutMs: 2_000 });
 * const order = await orders.get<{ id: string }>('/orders/42');
 * await orders.close();
 * ```
 */
export function createServiceClient(service: string, options: ServiceClientOptions = {}): ServiceClient {
  const registry = options.registry ?? process.env.PORTICO_REGISTRY_URL ?? 'http://127.0.0.1:9080';
  const source = discover(registry, options.logger ? { logger: options.logger } : {});
  return new ResilientClient(service, source, options);
}
