/** The admin API, called with the session cookie; writes carry the CSRF token the session gave. */
let csrf = '';

/** Set by the session store after sign-in or on load. */
export function setCsrf(token: string): void {
  csrf = token;
}

/** A field error of a VALIDATION_ERROR envelope. */
export interface FieldError {
  field: string;
  message: string;
}

/** An error envelope from the admin API, thrown by `api`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown,
  ) {
    super(message);
  }

  /** Field errors of a VALIDATION_ERROR by the body's field name (`name`, `config.x`). */
  fields(): Record<string, string> {
    const out: Record<string, string> = {};
    const list = Array.isArray(this.details) ? (this.details as FieldError[]) : [];
    for (const error of list) if (typeof error.field === 'string') out[error.field] = error.message;
    return out;
  }
}

/**
 * One admin API call: JSON in, the envelope's `data` out, `ApiError` on failure.
 *
 * @example
 * ```ts
 * const tenants = await api<Tenant[]>('GET', '/v1/admin/tenants');
 * ```
 */
export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  extraHeaders: Record<string, string> = {},
): Promise<T> {
  // Extra headers first: the CSRF token and content type are the console's own.
  const headers: Record<string, string> = { ...extraHeaders };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-portico-csrf'] = csrf;
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const envelope = (await response.json().catch(() => ({}))) as {
    success?: boolean;
    data?: T;
    error?: { code: string; message: string; details?: unknown };
  };
  if (!response.ok || envelope.success === false) {
    const error = envelope.error ?? { code: 'INTERNAL_ERROR', message: response.statusText };
    throw new ApiError(response.status, error.code, error.message, error.details);
  }
  return envelope.data as T;
}
