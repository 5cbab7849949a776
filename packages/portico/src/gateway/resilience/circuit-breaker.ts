/** Settings of a service's breaker. */
export interface BreakerSettings {
  enabled: boolean;
  failureThreshold: number;
  openMs: number;
}

/** Who hears of a breaker opening: a service's metrics. */
export interface BreakerListener {
  breakerOpened(): void;
}

/** What the breaker lets through. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * A per-service circuit breaker counting consecutive failed requests. Open: requests are
 * answered at once (503 or the fallback) without touching the service. After `openMs` one
 * probe request goes through (half-open); its success closes the breaker, its failure opens
 * it again. Written by hand rather than with cockatiel because the gateway's dispatch is
 * callback-based and this runs per request: two fields and no promise.
 */
export class CircuitBreaker {
  state: BreakerState = 'closed';
  private failures = 0;
  private openUntil = 0;
  private probing = false;

  constructor(
    private readonly settings: BreakerSettings,
    /**
     * Told each time the breaker opens, for the breaker metric: the service's metrics object
     * itself rather than a closure over it, which every route would hold (~100 bytes each).
     */
    private readonly listener?: BreakerListener,
  ) {}

  /** May a request go to the service now? In half-open, only the one probe may. */
  allow(now: number): boolean {
    if (!this.settings.enabled || this.state === 'closed') return true;
    if (this.state === 'open') {
      if (now < this.openUntil) return false;
      this.state = 'half-open';
      this.probing = false;
    }
    if (this.probing) return false;
    this.probing = true;
    return true;
  }

  onSuccess(): void {
    this.failures = 0;
    this.probing = false;
    this.state = 'closed';
  }

  onFailure(now: number): void {
    if (!this.settings.enabled) return;
    this.failures++;
    if (this.state === 'half-open' || this.failures >= this.settings.failureThreshold) {
      if (this.state !== 'open') this.listener?.breakerOpened();
      this.state = 'open';
      this.openUntil = now + this.settings.openMs;
      this.probing = false;
    }
  }
}
