/**
 * Caps retries so they cannot multiply an outage (Envoy's retry budget): at any moment the
 * retries in flight stay within `max(minConcurrency, ratio × active requests)`. When every
 * instance fails, callers get their error fast instead of tripling the load on the service.
 *
 * A retry is in flight from the moment it is granted (its backoff included) until its try ends.
 *
 * @example
 * ```ts
 * const budget = new RetryBudget({ ratio: 0.2, minConcurrency: 3 });
 * const done = budget.begin();
 * if (budget.tryAcquire()) {
 *   try { await retryOnce(); } finally { budget.release(); }
 * }
 * done();
 * ```
 */
export class RetryBudget {
  private active = 0;
  private retries = 0;
  private readonly ratio: number;
  private readonly minConcurrency: number;

  constructor(options: { ratio?: number; minConcurrency?: number } = {}) {
    this.ratio = options.ratio ?? 0.2;
    this.minConcurrency = options.minConcurrency ?? 3;
  }

  /** Requests in progress. */
  get activeRequests(): number {
    return this.active;
  }

  /** Retries granted and not yet finished. */
  get retriesInFlight(): number {
    return this.retries;
  }

  /** Retries in flight allowed right now. */
  get limit(): number {
    return Math.max(this.minConcurrency, this.ratio * this.active);
  }

  /** Counts a request as active; call the returned function (once is enough) when it ends. */
  begin(): () => void {
    this.active++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.active--;
    };
  }

  /** Grants a retry if the budget allows it; a granted retry must be released. */
  tryAcquire(): boolean {
    if (this.retries + 1 > this.limit) return false;
    this.retries++;
    return true;
  }

  release(): void {
    if (this.retries > 0) this.retries--;
  }
}
