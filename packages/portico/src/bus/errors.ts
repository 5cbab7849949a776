/**
 * The bus's own error codes, each with the HTTP status a route answering it uses (the bus HTTP
 * API maps a `BusError` by its code). Every code has its section in docs/errors.md.
 */
export const BUS_ERROR_CODES = {
  /** `bus.*` config names an adapter that is unknown or not available in this process. */
  BUS_CONFIG_INVALID: 500,
  /** A topic, group, fetch size, delay or start position the bus cannot take. */
  BUS_INPUT_INVALID: 400,
  /** A call on a bus or consumer that was closed. */
  BUS_CLOSED: 503,
  /** An ack, nack or reject over HTTP named a delivery token this consumer does not hold (any more). */
  BUS_DELIVERY_UNKNOWN: 404,
  /** An HTTP consumer id that is unknown, closed, idle too long, or another caller's. */
  BUS_CONSUMER_UNKNOWN: 404,
  /** This process already has `bus.http.maxConsumers` open HTTP consumers. */
  BUS_CONSUMER_LIMIT: 503,
} as const;

/** One of `BUS_ERROR_CODES`. */
export type BusErrorCode = keyof typeof BUS_ERROR_CODES;

/**
 * Why a bus call was refused; `code` is stable and documented in docs/errors.md.
 *
 * @example
 * ```ts
 * throw new BusError('BUS_INPUT_INVALID', 'max must be an integer >= 1');
 * ```
 */
export class BusError extends Error {
  override readonly name: string = 'BusError';
  readonly status: number;
  constructor(
    readonly code: BusErrorCode,
    message: string,
  ) {
    super(message);
    this.status = BUS_ERROR_CODES[code];
  }
}
