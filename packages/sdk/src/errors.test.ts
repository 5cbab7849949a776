import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode, isErrorCode, PorticoError } from './errors.js';

describe('ERROR_CODES', () => {
  it('holds the codes of the design with their HTTP status', () => {
    const expected: Record<string, number> = {
      VALIDATION_ERROR: 400,
      AUTHENTICATION_ERROR: 401,
      AUTHORIZATION_ERROR: 403,
      NOT_FOUND: 404,
      CONFLICT: 409,
      RATE_LIMITED: 429,
      PAYLOAD_TOO_LARGE: 413,
      INTERNAL_ERROR: 500,
      UPSTREAM_ERROR: 502,
      SERVICE_UNAVAILABLE: 503,
      UPSTREAM_TIMEOUT: 504,
    };
    for (const [code, status] of Object.entries(expected)) {
      expect(isErrorCode(code), code).toBe(true);
      expect(ERROR_CODES[code as ErrorCode].status, code).toBe(status);
    }
  });

  it('maps every code to a 4xx or 5xx status; a caller mistake (4xx but 408 and 429) is never retryable', () => {
    for (const [code, { status, retryable }] of Object.entries(ERROR_CODES)) {
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
      if (status < 500 && status !== 408 && status !== 429) expect(retryable, code).toBe(false);
    }
    expect(ERROR_CODES.RATE_LIMITED.retryable).toBe(true);
    expect(ERROR_CODES.SERVICE_UNAVAILABLE.retryable).toBe(true);
    expect(ERROR_CODES.UPSTREAM_TIMEOUT.retryable).toBe(true);
    expect(ERROR_CODES.INTERNAL_ERROR.retryable).toBe(false);
  });
});

describe('isErrorCode', () => {
  it('accepts known codes only, never inherited keys or non-strings', () => {
    expect(isErrorCode('CONFLICT')).toBe(true);
    expect(isErrorCode('conflict')).toBe(false);
    expect(isErrorCode('NOPE')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode('__proto__')).toBe(false);
    expect(isErrorCode(404)).toBe(false);
    expect(isErrorCode(undefined)).toBe(false);
    expect(isErrorCode(null)).toBe(false);
  });
});

describe('PorticoError', () => {
  it('takes status and retryable from its code', () => {
    const error = new PorticoError('CONFLICT', 'name taken', { field: 'name' });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(PorticoError);
    expect(error.name).toBe('PorticoError');
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toBe('name taken');
    expect(error.status).toBe(409);
    expect(error.retryable).toBe(false);
    expect(error.details).toEqual({ field: 'name' });
    expect(String(error)).toBe('PorticoError: name taken');

    const unavailable = new PorticoError('SERVICE_UNAVAILABLE', 'down');
    expect(unavailable.status).toBe(503);
    expect(unavailable.retryable).toBe(true);
    expect(unavailable.details).toBeUndefined();
  });

  it('keeps a cause', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new PorticoError('UPSTREAM_ERROR', 'failed', undefined, { cause });
    expect(error.cause).toBe(cause);
  });

  it('serialises to the error member of an envelope, omitting absent details', () => {
    expect(new PorticoError('NOT_FOUND', 'no order 42', { orderId: 42 }).toJSON()).toEqual({
      code: 'NOT_FOUND',
      message: 'no order 42',
      details: { orderId: 42 },
    });
    const bare = new PorticoError('NOT_FOUND', 'gone').toJSON();
    expect(bare).toEqual({ code: 'NOT_FOUND', message: 'gone' });
    expect(Object.keys(bare)).not.toContain('details');
    expect(JSON.parse(JSON.stringify(new PorticoError('CONFLICT', 'x', [1, 2])))).toEqual({
      code: 'CONFLICT',
      message: 'x',
      details: [1, 2],
    });
  });

  it('keeps falsy details other than undefined', () => {
    expect(new PorticoError('CONFLICT', 'x', null).toJSON()).toEqual({ code: 'CONFLICT', message: 'x', details: null });
    expect(new PorticoError('CONFLICT', 'x', 0).toJSON()).toEqual({ code: 'CONFLICT', message: 'x', details: 0 });
  });
});

describe('PorticoError.fromEnvelope', () => {
  it('rebuilds an error envelope with its code, message and details', () => {
    const body = {
      success: false,
      error: { code: 'VALIDATION_ERROR', message: 'port must be an integer', details: [{ path: '/port' }] },
      meta: { requestId: 'r1', timestamp: new Date().toISOString() },
    };
    const error = PorticoError.fromEnvelope(body, 400);
    expect(error).toBeInstanceOf(PorticoError);
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.message).toBe('port must be an integer');
    expect(error.status).toBe(400);
    expect(error.retryable).toBe(false);
    expect(error.details).toEqual([{ path: '/port' }]);
  });

  it('round-trips what toJSON produced', () => {
    const original = new PorticoError('RATE_LIMITED', 'slow down', { retryAfter: 3 });
    const rebuilt = PorticoError.fromEnvelope(JSON.parse(JSON.stringify({ success: false, error: original })), 429);
    expect(rebuilt.toJSON()).toEqual(original.toJSON());
    expect(rebuilt.retryable).toBe(true);
  });

  it('uses the code as the message when the message is missing', () => {
    const error = PorticoError.fromEnvelope({ error: { code: 'NOT_FOUND' } }, 404);
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toBe('NOT_FOUND');
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'Bad Gateway'],
    ['a number', 42],
    ['an array', [1, 2]],
    ['an object without error', { success: false }],
    ['an error that is a string', { error: 'boom' }],
    ['an unknown code', { error: { code: 'TEAPOT', message: 'short and stout' } }],
    ['a code of the wrong type', { error: { code: 404, message: 'nope' } }],
    ['an inherited key as code', { error: { code: 'constructor', message: 'x' } }],
  ])('turns %s into an UPSTREAM_ERROR carrying the HTTP status', (_label, body) => {
    const error = PorticoError.fromEnvelope(body, 418);
    expect(error).toBeInstanceOf(PorticoError);
    expect(error.code).toBe('UPSTREAM_ERROR');
    expect(error.status).toBe(502);
    expect(error.retryable).toBe(true);
    expect(error.details).toEqual({ status: 418 });
    expect(error.message).toContain('418');
  });
});
