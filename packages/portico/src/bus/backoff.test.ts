import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';
import { completeEnvelope } from './envelope.js';

describe('backoffDelay', () => {
  it('grows by factor from initialMs and stops at maxMs', () => {
    const o = { initialMs: 100, factor: 3, maxMs: 1000 };
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(a, o))).toEqual([100, 300, 900, 1000, 1000]);
  });
  it('uses the contract defaults (1 s, x2, 60 s)', () => {
    expect([1, 2, 7, 8].map((a) => backoffDelay(a))).toEqual([1000, 2000, 60000, 60000]);
  });
});

describe('completeEnvelope', () => {
  it('fills id, timestamp and tenantId, keeps what was given, leaves absent fields absent', () => {
    const now = new Date('2026-01-02T03:04:05.000Z');
    const m = completeEnvelope({ type: 'a.b', data: { x: 1 } }, now);
    expect(m.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(m).toEqual({ id: m.id, type: 'a.b', timestamp: '2026-01-02T03:04:05.000Z', tenantId: null, data: { x: 1 } });
    expect(
      completeEnvelope({ type: 'a', data: 1, id: 'x', tenantId: 't', key: 'k', traceparent: 'tp' }, now),
    ).toMatchObject({ id: 'x', tenantId: 't', key: 'k', traceparent: 'tp' });
  });
});
