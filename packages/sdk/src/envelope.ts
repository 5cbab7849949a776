import type { ErrorBody } from './errors.js';
import { PorticoError } from './errors.js';

/** Request metadata every envelope carries. */
export interface EnvelopeMeta {
  requestId: string;
  timestamp: string;
}

/** A successful answer of a platform API. */
export interface SuccessEnvelope<T> {
  success: true;
  data: T;
  meta: EnvelopeMeta;
}

/** A failed answer of a platform API or a gateway-generated error. */
export interface ErrorEnvelope {
  success: false;
  error: ErrorBody;
  meta: EnvelopeMeta;
}

/** Either kind of envelope. */
export type Envelope<T> = SuccessEnvelope<T> | ErrorEnvelope;

/**
 * Wraps data in the success envelope.
 *
 * @example
 * ```ts
 * res.end(JSON.stringify(ok({ id: 1 }, requestId)));
 * ```
 */
export function ok<T>(data: T, requestId: string): SuccessEnvelope<T> {
  return { success: true, data, meta: { requestId, timestamp: new Date().toISOString() } };
}

/**
 * Wraps an error in the failure envelope.
 *
 * @example
 * ```ts
 * const body = fail(new PorticoError('CONFLICT', 'name taken'), requestId);
 * ```
 */
export function fail(error: PorticoError | ErrorBody, requestId: string): ErrorEnvelope {
  const body = error instanceof PorticoError ? error.toJSON() : error;
  return { success: false, error: body, meta: { requestId, timestamp: new Date().toISOString() } };
}
