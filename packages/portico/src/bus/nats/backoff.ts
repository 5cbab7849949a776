import type { BackoffOptions } from '@portico/sdk';

/**
 * The delay before the next delivery after attempt `attempt` failed: `initialMs · factor^(attempt-1)`,
 * capped at `maxMs`. Portico computes it and hands it to JetStream's `nak(delay)` per message, so
 * every retry waits its own backoff (JetStream's consumer-wide `backoff` list would apply only to
 * ack timeouts, not to naks).
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
  return Math.min(max, Math.round(initial * factor ** Math.max(0, attempt - 1)));
}
