import { describe, expect, it } from 'vitest';
import { type HealthCheck, type HealthStatus, healthHttpStatus, healthReport } from './health.js';

const info = { version: '1.2.3', startedAt: Date.now() };

function statusOf(status: HealthStatus): HealthCheck {
  return () => status;
}

describe('healthReport', () => {
  it('answers the standard format, healthy with no checks', async () => {
    const startedAt = Date.now() - 5_500;
    const report = await healthReport({}, { version: '9.9.9', startedAt });
    expect(report).toEqual({
      status: 'healthy',
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      uptime_seconds: 5,
      version: '9.9.9',
      dependencies: {},
    });
    expect(Object.keys(report).sort()).toEqual(['dependencies', 'status', 'timestamp', 'uptime_seconds', 'version']);
    expect(Math.abs(Date.parse(report.timestamp) - Date.now())).toBeLessThan(1_000);
  });

  it.each<[HealthStatus[], HealthStatus]>([
    [['healthy'], 'healthy'],
    [['healthy', 'healthy'], 'healthy'],
    [['healthy', 'degraded'], 'degraded'],
    [['degraded', 'healthy'], 'degraded'],
    [['degraded', 'unhealthy', 'healthy'], 'unhealthy'],
    [['unhealthy', 'degraded'], 'unhealthy'],
    [['healthy', 'healthy', 'unhealthy'], 'unhealthy'],
  ])('the worst of %j wins: %s', async (statuses, overall) => {
    const checks = Object.fromEntries(statuses.map((s, i) => [`dep${i}`, statusOf(s)]));
    const report = await healthReport(checks, info);
    expect(report.status).toBe(overall);
    expect(report.dependencies).toEqual(Object.fromEntries(statuses.map((s, i) => [`dep${i}`, s])));
  });

  it('reads true as healthy and false as unhealthy, sync or async', async () => {
    const report = await healthReport(
      {
        syncTrue: () => true,
        asyncTrue: async () => true,
        syncFalse: () => false,
        asyncDegraded: async () => 'degraded' as const,
      },
      info,
    );
    expect(report.dependencies).toEqual({
      syncTrue: 'healthy',
      asyncTrue: 'healthy',
      syncFalse: 'unhealthy',
      asyncDegraded: 'degraded',
    });
    expect(report.status).toBe('unhealthy');
    const allTrue = await healthReport({ a: () => true, b: async () => true }, info);
    expect(allTrue.status).toBe('healthy');
  });

  it('counts a check that throws (sync or async) as unhealthy and keeps the others', async () => {
    const report = await healthReport(
      {
        db: () => true,
        syncThrow: () => {
          throw new Error('boom');
        },
        asyncReject: async () => {
          throw new Error('boom');
        },
      },
      info,
    );
    expect(report.dependencies).toEqual({ db: 'healthy', syncThrow: 'unhealthy', asyncReject: 'unhealthy' });
    expect(report.status).toBe('unhealthy');
  });

  it('counts a check that never resolves as unhealthy after about 2 s, without waiting longer', async () => {
    const started = performance.now();
    const report = await healthReport(
      { stuck: () => new Promise<boolean>(() => {}), fast: () => true, slowButFine: () => delayed(100, true) },
      info,
    );
    const elapsed = performance.now() - started;
    expect(report.dependencies).toEqual({ stuck: 'unhealthy', fast: 'healthy', slowButFine: 'healthy' });
    expect(report.status).toBe('unhealthy');
    expect(elapsed).toBeGreaterThanOrEqual(1_900);
    expect(elapsed).toBeLessThan(3_000);
  });

  it('runs the checks in parallel', async () => {
    const started = performance.now();
    const report = await healthReport(
      { a: () => delayed(300, true), b: () => delayed(300, true), c: () => delayed(300, 'degraded' as const) },
      info,
    );
    expect(performance.now() - started).toBeLessThan(800);
    expect(report.status).toBe('degraded');
  });
});

describe('healthHttpStatus', () => {
  it('fails a probe only when unhealthy', () => {
    expect(healthHttpStatus('healthy')).toBe(200);
    expect(healthHttpStatus('degraded')).toBe(200);
    expect(healthHttpStatus('unhealthy')).toBe(503);
  });
});

function delayed<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}
