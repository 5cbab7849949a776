/** Stable codes of the NATS adapter's failures; docs/errors.md has a section for each. */
export const BUS_NATS_ERROR_CODES = [
  'BUS_NATS_UNAVAILABLE',
  'BUS_NATS_PUBLISH_FAILED',
  'BUS_DELIVERY_UNKNOWN',
] as const;
export type BusNatsErrorCode = (typeof BUS_NATS_ERROR_CODES)[number];

/**
 * A failure of the NATS adapter, with a stable code; `retryable` tells a caller whether the same
 * call may succeed later (the server was away), as opposed to a call that can never succeed.
 *
 * @example
 * ```ts
 * try { await bus.publish(input); } catch (e) { if (e instanceof BusNatsError && e.retryable) retryLater(); }
 * ```
 */
export class BusNatsError extends Error {
  readonly code: BusNatsErrorCode;
  readonly retryable: boolean;
  constructor(code: BusNatsErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'BusNatsError';
    this.code = code;
    this.retryable = code === 'BUS_NATS_UNAVAILABLE' || code === 'BUS_NATS_PUBLISH_FAILED';
  }
}
