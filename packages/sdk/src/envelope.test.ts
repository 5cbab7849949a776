import { describe, expect, it } from 'vitest';
import { fail, ok } from './envelope.js';
import { PorticoError } from './errors.js';

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('ok', () => {
  it('wraps data in the success envelope with the request id and a current timestamp', () => {
    const before = Date.now();
    const envelope = ok({ id: 1, name: 'a' }, 'req-1');
    const after = Date.now();
    expect(envelope).toEqual({
      success: true,
      data: { id: 1, name: 'a' },
      meta: { requestId: 'req-1', timestamp: expect.stringMatching(ISO_TIMESTAMP) },
    });
    const at = Date.parse(envelope.meta.timestamp);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(after);
    expect(Object.keys(envelope).sort()).toEqual(['data', 'meta', 'success']);
  });

  it('keeps falsy data as it is', () => {
    expect(ok(null, 'r').data).toBeNull();
    expect(ok(0, 'r').data).toBe(0);
    expect(ok('', 'r').data).toBe('');
    expect(ok([], 'r').data).toEqual([]);
  });

  it('does not copy the data', () => {
    const data = { list: [1, 2, 3] };
    expect(ok(data, 'r').data).toBe(data);
  });
});

describe('fail', () => {
  it('wraps a PorticoError in the failure envelope', () => {
    const envelope = fail(new PorticoError('CONFLICT', 'name taken', { name: 'x' }), 'req-2');
    expect(envelope).toEqual({
      success: false,
      error: { code: 'CONFLICT', message: 'name taken', details: { name: 'x' } },
      meta: { requestId: 'req-2', timestamp: expect.stringMatching(ISO_TIMESTAMP) },
    });
    // The error member is plain data, not the Error itself, so JSON keeps every field.
    expect(envelope.error).not.toBeInstanceOf(Error);
    expect(JSON.parse(JSON.stringify(envelope)).error).toEqual(envelope.error);
  });

  it('omits details a PorticoError does not carry', () => {
    const envelope = fail(new PorticoError('NOT_FOUND', 'gone'), 'r');
    expect(envelope.error).toEqual({ code: 'NOT_FOUND', message: 'gone' });
    expect('details' in envelope.error).toBe(false);
  });

  it('accepts a plain error body', () => {
    const envelope = fail({ code: 'RATE_LIMITED', message: 'slow down', details: { retryAfter: 2 } }, 'r3');
    expect(envelope.success).toBe(false);
    expect(envelope.error).toEqual({ code: 'RATE_LIMITED', message: 'slow down', details: { retryAfter: 2 } });
    expect(envelope.meta.requestId).toBe('r3');
  });

  it('round-trips through PorticoError.fromEnvelope', () => {
    const original = new PorticoError('UPSTREAM_TIMEOUT', 'too slow', { ms: 30000 });
    const rebuilt = PorticoError.fromEnvelope(JSON.parse(JSON.stringify(fail(original, 'r'))), 504);
    expect(rebuilt.code).toBe('UPSTREAM_TIMEOUT');
    expect(rebuilt.message).toBe('too slow');
    expect(rebuilt.details).toEqual({ ms: 30000 });
  });
});
