import { describe, expect, it } from 'vitest';
import { completeEnvelope } from './envelope.js';

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
