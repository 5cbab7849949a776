import type { BackoffOptions } from './bus-types.js';

/**
 * Delay before the next delivery of a message whose `attempt`-th delivery failed: exponential
 * from `initialMs`, capped at `maxMs` (the defaults of `BackoffOptions`).
 *
 * @example
 * ```ts
 * backoffDelay(1, { initialMs: 100 }); // 100
 * backoffDelay(3, { initialMs: 100 }); // 400
 * ```
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 1000;
  const max = options.maxMs ?? 60_000;
  const factor = options.factor ?? 2;
  const exponent = Math.max(0, attempt - 1);
  return Math.min(max, Math.max(0, Math.round(initial * factor ** exponent)));
}
