import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  fallback,
  handleWhen,
  type RetryPolicy,
  retry,
  type TimeoutPolicy,
  TimeoutStrategy,
  timeout,
} from 'cockatiel';
import { AttemptFailure } from './failures.js';
import type { BreakerOptions, BreakerState, RetryOptions } from './types.js';

/** The policies one client keeps for its service; the breaker's state is what makes it per service. */
export interface ClientPolicies {
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly retry: RetryPolicy | undefined;
  readonly breaker: CircuitBreakerPolicy | undefined;
  /** The per-try timeout of `ms`, shared when it is the client's own. */
  perTry(ms: number | undefined): TimeoutPolicy;
}

/** What a call asks of the policies besides its tries. */
export interface CallPlan<T> {
  /** Per-try time limit. */
  timeoutMs: number | undefined;
  /** Gives the stale answer to serve instead of a failure, if there is one. */
  fallback?: (() => T | undefined) | undefined;
}

/**
 * Builds a client's cockatiel policies: a cooperative per-try timeout (it aborts the `fetch`),
 * a retry with decorrelated-jitter exponential backoff that handles only failures the call
 * marked retryable, and a consecutive-failure circuit breaker counting service failures.
 *
 * @example
 * ```ts
 * const policies = buildPolicies({ timeoutMs: 2_000, retry: { attempts: 3 }, breaker: { failureThreshold: 5 } });
 * ```
 */
export function buildPolicies(options: {
  timeoutMs: number;
  retry: RetryOptions | false | undefined;
  breaker: BreakerOptions | false | undefined;
}): ClientPolicies {
  const retryOptions = options.retry === false ? undefined : (options.retry ?? {});
  const maxRetries = (retryOptions?.attempts ?? 3) - 1;
  const retryPolicy =
    retryOptions && maxRetries > 0
      ? retry(
          handleWhen((error) => error instanceof AttemptFailure && error.retry),
          {
            maxAttempts: maxRetries,
            backoff: new ExponentialBackoff({
              initialDelay: retryOptions.backoffBaseMs ?? 25,
              maxDelay: retryOptions.backoffMaxMs ?? 250,
            }),
          },
        )
      : undefined;
  const breaker =
    options.breaker === false
      ? undefined
      : circuitBreaker(
          handleWhen((error) => error instanceof AttemptFailure && error.facts.serviceFailure),
          {
            halfOpenAfter: options.breaker?.openMs ?? 5_000,
            breaker: new ConsecutiveBreaker(options.breaker?.failureThreshold ?? 5),
          },
        );
  const ownTimeout = timeout(options.timeoutMs, TimeoutStrategy.Cooperative);
  return {
    timeoutMs: options.timeoutMs,
    maxRetries: retryPolicy ? maxRetries : 0,
    retry: retryPolicy,
    breaker,
    perTry: (ms) =>
      ms === undefined || ms === options.timeoutMs ? ownTimeout : timeout(ms, TimeoutStrategy.Cooperative),
  };
}

/**
 * Runs a call through the policies, outermost first:
 * fallback (GET, stale-if-error) → breaker (one sample per call, so a dead instance whose
 * failures retries absorb does not open it) → retry (to another instance) → per-try timeout →
 * the try. `run` gets the retry number (0 for the first try) and the try's abort signal.
 *
 * @example
 * ```ts
 * const answer = await runPolicies(policies, { timeoutMs: 1_000 }, (retry, signal) => send(signal), callSignal);
 * ```
 */
export function runPolicies<T>(
  policies: ClientPolicies,
  plan: CallPlan<T>,
  run: (retryNumber: number, signal: AbortSignal) => Promise<T>,
  signal: AbortSignal,
): Promise<T> {
  const perTry = policies.perTry(plan.timeoutMs);
  const once = (retryNumber: number, outer: AbortSignal) =>
    perTry.execute(({ signal: trySignal }) => run(retryNumber, trySignal), outer);
  const retried = (outer: AbortSignal) =>
    policies.retry ? policies.retry.execute(({ attempt, signal: s }) => once(attempt, s), outer) : once(0, outer);
  const broken = (outer: AbortSignal) =>
    policies.breaker ? policies.breaker.execute(({ signal: s }) => retried(s), outer) : retried(outer);
  const stale = plan.fallback;
  if (!stale) return broken(signal);
  let answer: T | undefined;
  const fallbackPolicy = fallback(
    handleWhen((error) => {
      if (!servedStaleOn(error)) return false;
      answer = stale();
      return answer !== undefined;
    }),
    () => answer as T,
  );
  return fallbackPolicy.execute(({ signal: s }) => broken(s), signal);
}

/** The failures a stale answer may stand in for: the service failing or unreachable, the breaker open. */
export function servedStaleOn(error: unknown): boolean {
  if (error instanceof BrokenCircuitError) return true;
  if (!(error instanceof AttemptFailure)) return false;
  return error.facts.serviceFailure || error.facts.noInstance === true;
}

/** The breaker's state in the SDK's words. */
export function breakerState(breaker: CircuitBreakerPolicy | undefined): BreakerState {
  if (!breaker) return 'closed';
  switch (breaker.state) {
    case CircuitState.Closed:
      return 'closed';
    case CircuitState.HalfOpen:
      return 'half-open';
    default:
      return 'open';
  }
}
