import type { HealthStatus } from '@portico/sdk';

/** Limits of the login throttle (`identity.throttle`). */
export interface ThrottleOptions {
  /** Failed attempts for one tenant/username before it is locked. */
  maxFailuresPerIdentifier: number;
  /** Failed attempts from one IP address before it is locked. */
  maxFailuresPerIp: number;
  /** How long failures are remembered. */
  windowSeconds: number;
  /** How long a lock lasts once the limit is reached. */
  lockoutSeconds: number;
}

/**
 * The outcome of `begin`: go ahead (and report the result once), or wait. Reporting may be
 * awaited; a shared store settles the attempt there.
 */
export type ThrottleDecision =
  | { allowed: true; succeeded(): Promise<void>; failed(): Promise<void> }
  | { allowed: false; retryAfterSeconds: number };

/**
 * Where failed-login counters live (STYLE habit 4): `memory` (this process) or `redis` (every
 * identity process sharing one Redis counts together). `login-throttle/index.ts` resolves the
 * configured one.
 *
 * An attempt is counted before its password is checked, and only given back when it succeeds:
 * a burst of parallel attempts cannot slip through while the first ones are still hashing.
 *
 * @example
 * ```ts
 * const decision = await throttle.begin('acme/alice', '203.0.113.9');
 * if (!decision.allowed) throw rateLimited(decision.retryAfterSeconds);
 * (await check()) ? await decision.succeeded() : await decision.failed();
 * ```
 */
export interface LoginThrottlePort {
  /** The adapter's name, as configured. */
  readonly store: 'memory' | 'redis';
  /** Counts one attempt of `identifier` (`tenant/username`) from `ip`, or refuses it while either is locked. */
  begin(identifier: string, ip: string): Promise<ThrottleDecision>;
  /** `healthy` while counters are shared as configured; `degraded` while a shared store is out of reach. */
  health(): HealthStatus;
  close(): Promise<void>;
}
