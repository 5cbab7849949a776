import type { BackoffOptions } from '@portico/sdk';

/** The defaults of `BackoffOptions`, as the contract documents them. */
export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 1000, maxMs: 60000, factor: 2 };

/**
 * The wait before the next delivery after delivery number `attempt` failed (1-based):
 * `initialMs * factor^(attempt-1)`, capped at `maxMs`.
 *
 * @example
 * ```ts
 * backoffDelay(3, { initialMs: 100, factor: 2 }); // 400
 * ```
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const { initialMs, maxMs, factor } = { ...DEFAULT_BACKOFF, ...options };
  const delay = initialMs * factor ** Math.max(0, attempt - 1);
  return Math.min(maxMs, Math.max(0, Math.round(delay)));
}
