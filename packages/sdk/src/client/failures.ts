import { PorticoError } from '../errors.js';

/** What the policies need to know of a failed try. */
export interface FailureFacts {
  /** False only when the request certainly never reached the instance (connection refused). */
  reached: boolean;
  /** The service is failing (transport error, timeout, 5xx): counts for the breaker and the fallback. */
  serviceFailure: boolean;
  /** Another instance might answer better (not a 4xx, not an error the service calls final). */
  transient: boolean;
  /** No instance was there to try: a stale answer may stand in, but the breaker has nothing to protect. */
  noInstance?: boolean;
  instanceId: string | undefined;
}

/**
 * One failed try, carrying the error the caller will get and the facts the policies decide on.
 * `retry` is set by the call that made the try, which alone knows the method, the instances
 * left and the budget; the retry policy handles only failures marked so.
 */
export class AttemptFailure extends Error {
  override readonly name = 'AttemptFailure';
  retry = false;

  constructor(
    readonly error: PorticoError,
    readonly facts: FailureFacts,
  ) {
    super(error.message, { cause: error });
  }
}

/** Socket errors raised before a request is written: safe to send the request elsewhere. */
const NEVER_REACHED = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * True when `fetch` failed to connect at all. Its `TypeError: fetch failed` carries the socket
 * error as `cause`; a host with several addresses gives an `AggregateError` of one per address.
 */
export function neverReached(error: unknown): boolean {
  const codes: string[] = [];
  collectCodes(error, codes, 0);
  return codes.length > 0 && codes.every((code) => NEVER_REACHED.has(code));
}

function collectCodes(error: unknown, codes: string[], depth: number): void {
  if (depth > 4 || typeof error !== 'object' || error === null) return;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (Array.isArray(errors) && errors.length > 0) {
    for (const inner of errors) collectCodes(inner, codes, depth + 1);
    return;
  }
  if (typeof code === 'string') {
    codes.push(code);
    return;
  }
  collectCodes(cause, codes, depth + 1);
}

/** A try that got no answer: refused, reset, or cut off by the per-try timeout. */
export function transportFailure(
  cause: unknown,
  service: string,
  instanceId: string,
  timeoutMs: number | undefined,
): AttemptFailure {
  if (timeoutMs !== undefined) {
    const error = new PorticoError(
      'UPSTREAM_TIMEOUT',
      `${service} did not answer within ${timeoutMs} ms`,
      { service, instanceId },
      { cause },
    );
    return new AttemptFailure(error, { reached: true, serviceFailure: true, transient: true, instanceId });
  }
  const reached = !neverReached(cause);
  const error = reached
    ? new PorticoError('UPSTREAM_ERROR', `${service} failed before answering`, { service, instanceId }, { cause })
    : new PorticoError('SERVICE_UNAVAILABLE', `${service} refused the connection`, { service, instanceId }, { cause });
  return new AttemptFailure(error, { reached, serviceFailure: true, transient: true, instanceId });
}

/** A try the service answered with an error status. */
export function responseFailure(error: PorticoError, status: number, instanceId: string): AttemptFailure {
  const serviceFailure = status >= 500;
  // A 500 INTERNAL_ERROR is a bug every instance shares; 502/503/504 and bare 5xx may pass.
  return new AttemptFailure(error, {
    reached: true,
    serviceFailure,
    transient: serviceFailure && error.retryable,
    instanceId,
  });
}

/** A call that found no instance to try. */
export function noInstance(service: string, known: number): AttemptFailure {
  const error = new PorticoError(
    'SERVICE_UNAVAILABLE',
    known === 0 ? `no instance of ${service} is registered` : `no instance of ${service} takes traffic`,
    { service },
  );
  return new AttemptFailure(error, {
    reached: false,
    serviceFailure: false,
    transient: false,
    noInstance: true,
    instanceId: undefined,
  });
}
