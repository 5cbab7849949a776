import { type ErrorCode, PorticoError } from '@portico/sdk';
import { BUS_ERROR_CODES, BusError } from '../errors.js';
import { BusNatsError } from '../nats/nats-errors.js';

/** The envelope code of each bus status; the bus's own code travels in `details.code`. */
const BY_STATUS: Record<number, ErrorCode> = {
  400: 'VALIDATION_ERROR',
  404: 'NOT_FOUND',
  503: 'SERVICE_UNAVAILABLE',
};

/** NATS adapter codes with the status the HTTP API answers them with. */
const NATS_STATUS: Record<string, number> = {
  BUS_NATS_UNAVAILABLE: 503,
  BUS_NATS_PUBLISH_FAILED: 503,
  BUS_DELIVERY_UNKNOWN: BUS_ERROR_CODES.BUS_DELIVERY_UNKNOWN,
};

/**
 * What a bus route answers for an error of an adapter: a `PorticoError` with the envelope code of
 * its status and the bus code in `details.code` (so the SDK rebuilds it), e.g. `400
 * VALIDATION_ERROR {code: BUS_INPUT_INVALID}`. Anything else is passed on unchanged.
 *
 * @example
 * ```ts
 * try { await bus.publish(input); } catch (error) { throw busHttpError(error); }
 * ```
 */
export function busHttpError(error: unknown): unknown {
  const status =
    error instanceof BusError ? error.status : error instanceof BusNatsError ? NATS_STATUS[error.code] : undefined;
  const code = status === undefined ? undefined : BY_STATUS[status];
  if (!code) return error;
  return new PorticoError(code, (error as Error).message, { code: (error as BusError | BusNatsError).code });
}

/**
 * A bus error raised by a route itself (consumer or delivery unknown, limit reached), answered
 * like an adapter's.
 *
 * @example
 * ```ts
 * throw busRouteError('BUS_DELIVERY_UNKNOWN', 'this consumer holds no delivery with that token');
 * ```
 */
export function busRouteError(code: keyof typeof BUS_ERROR_CODES, message: string): PorticoError {
  return busHttpError(new BusError(code, message)) as PorticoError;
}
