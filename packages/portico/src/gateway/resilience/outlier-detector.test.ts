import type { Instance } from '@portico/sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Upstream } from '../upstream.js';
import { OutlierDetector } from './outlier-detector.js';

const settings = { consecutiveFailures: 2, baseEjectionMs: 1_000, maxEjectionMs: 3_000, maxEjectionPercent: 50 };

function service(count: number) {
  const members = Array.from(
    { length: count },
    (_, i) =>
      new Upstream(
        { id: `u${i}`, service: 's', host: '127.0.0.1', port: 1000 + i, basePath: '/', weight: 1 } as Instance,
        {
          connectTimeoutMs: 100,
          connectionsPerUpstream: 1,
        },
      ),
  );
  const refreshes: number[] = [];
  const detector = new OutlierDetector({ members: () => members, refresh: () => refreshes.push(Date.now()) });
  return { members, detector, refreshes };
}

describe('OutlierDetector', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ejects after consecutive failures, for a time that doubles while it keeps failing', () => {
    vi.useFakeTimers();
    const { members, detector } = service(4);
    const u = members[0] as Upstream;
    detector.onFailure(u, settings, Date.now());
    expect(u.inRotation).toBe(true);
    detector.onFailure(u, settings, Date.now());
    expect(u.inRotation).toBe(false);
    vi.advanceTimersByTime(1_000);
    expect(u.inRotation).toBe(true);
    detector.onFailure(u, settings, Date.now());
    detector.onFailure(u, settings, Date.now());
    vi.advanceTimersByTime(1_999);
    expect(u.inRotation).toBe(false);
    vi.advanceTimersByTime(1);
    expect(u.inRotation).toBe(true);
    detector.onSuccess(u);
    expect(u.ejections).toBe(0);
  });

  it('never ejects more than the allowed share, so a service is not emptied', () => {
    const { members, detector } = service(3);
    for (const u of members) {
      detector.onFailure(u, settings, Date.now());
      detector.onFailure(u, settings, Date.now());
    }
    expect(members.filter((u) => !u.inRotation)).toHaveLength(1);
    const single = service(1);
    const only = single.members[0] as Upstream;
    for (let i = 0; i < 5; i++) single.detector.onFailure(only, settings, Date.now());
    expect(only.inRotation).toBe(true);
  });
});
