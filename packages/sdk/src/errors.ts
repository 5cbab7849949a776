/**
 * The one registry of Portico's error codes. Every platform API and every error the gateway
 * generates answers with one of these codes; `docs/errors.md` documents each, and a test keeps
 * the two in step.
 */
export const ERROR_CODES = {
  VALIDATION_ERROR: { status: 400, retryable: false },
  AUTHENTICATION_ERROR: { status: 401, retryable: false },
  AUTHORIZATION_ERROR: { status: 403, retryable: false },
  NOT_FOUND: { status: 404, retryable: false },
  METHOD_NOT_ALLOWED: { status: 405, retryable: false },
  REQUEST_TIMEOUT: { status: 408, retryable: true },
  CONFLICT: { status: 409, retryable: false },
  PRECONDITION_FAILED: { status: 412, retryable: false },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, retryable: false },
  RATE_LIMITED: { status: 429, retryable: true },
  HEADERS_TOO_LARGE: { status: 431, retryable: false },
  OPENAPI_INVALID: { status: 400, retryable: false },
  INTERNAL_ERROR: { status: 500, retryable: false },
  UPSTREAM_ERROR: { status: 502, retryable: true },
  SERVICE_UNAVAILABLE: { status: 503, retryable: true },
  UPSTREAM_TIMEOUT: { status: 504, retryable: true },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

/** A stable error code, as it appears in `error.code` of an envelope. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Tells whether a string is one of Portico's error codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/**
 * An error that keeps its identity across the wire: code, message, details, HTTP status and
 * whether a retry may help. Throw it from a handler and the SDK answers with the envelope;
 * receive an error envelope and `PorticoError.fromEnvelope` rebuilds it.
 *
 * @example
 * ```ts
 * import { PorticoError } from '@portico/sdk';
 * throw new PorticoError('NOT_FOUND', 'order 42 does not exist', { orderId: 42 });
 * ```
 */
export class PorticoError extends Error {
  override readonly name = 'PorticoError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.retryable = ERROR_CODES[code].retryable;
    this.details = details;
  }

  /** The `error` member of an envelope. */
  toJSON(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  /**
   * Rebuilds the error a remote Portico API answered with; anything unrecognisable becomes an
   * `UPSTREAM_ERROR` that carries the HTTP status it came with.
   *
   * @example
   * ```ts
   * const body = await response.json();
   * if (!body.success) throw PorticoError.fromEnvelope(body, response.status);
   * ```
   */
  static fromEnvelope(body: unknown, status: number): PorticoError {
    const error = (body as { error?: Partial<ErrorBody> } | null)?.error;
    if (error && isErrorCode(error.code)) {
      return new PorticoError(error.code, String(error.message ?? error.code), error.details);
    }
    return new PorticoError('UPSTREAM_ERROR', `unexpected response with status ${status}`, { status });
  }
}

/** The `error` member of a failed envelope. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
}
