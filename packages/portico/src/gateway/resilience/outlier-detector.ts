import type { Upstream } from '../upstream.js';
import type { OutlierSettings } from './service-policy.js';

/** What outlier detection needs of the routing table. */
export interface EjectionHost {
  /** Every upstream of the service, in rotation or not. */
  members(service: string): Iterable<Upstream>;
  /** Rebuilds the service's rotation after an upstream's standing changed. */
  refresh(service: string): void;
  /** Told of each ejection, for the ejections metric. */
  ejected?(upstream: Upstream): void;
}

/**
 * Passive outlier detection: an upstream whose tries fail `consecutiveFailures` times in a row
 * leaves the rotation for `baseEjectionMs`, doubling with each ejection that follows without a
 * success between, up to `maxEjectionMs`. At most `maxEjectionPercent` of a service's instances
 * are out at once (rounded down), so ejection alone never empties a service.
 */
export class OutlierDetector {
  constructor(private readonly host: EjectionHost) {}

  onSuccess(upstream: Upstream): void {
    upstream.consecutiveFailures = 0;
    upstream.ejections = 0;
  }

  onFailure(upstream: Upstream, settings: OutlierSettings, now: number): void {
    upstream.consecutiveFailures++;
    if (upstream.consecutiveFailures < settings.consecutiveFailures || upstream.ejectedUntil !== 0) return;
    const service = upstream.instance.service;
    let total = 0;
    let ejected = 0;
    for (const member of this.host.members(service)) {
      total++;
      if (member.ejectedUntil !== 0) ejected++;
    }
    if (ejected + 1 > Math.floor((total * settings.maxEjectionPercent) / 100)) return;
    const duration = Math.min(settings.maxEjectionMs, settings.baseEjectionMs * 2 ** upstream.ejections);
    upstream.ejections++;
    upstream.ejectedUntil = now + duration;
    this.host.refresh(service);
    this.host.ejected?.(upstream);
    setTimeout(() => {
      upstream.ejectedUntil = 0;
      // Back with a clean slate: one more failure does not eject it again, `consecutiveFailures` do.
      upstream.consecutiveFailures = 0;
      this.host.refresh(service);
    }, duration).unref();
  }
}
