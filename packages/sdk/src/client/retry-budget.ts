/** Settings of a {@link RetryBudget}. */
export interface RetryBudgetOptions {
  /** Retries allowed per 100 requests of the window; default 20. */
  percent?: number;
  /** How far back requests and retries are counted, in whole seconds (rounded up); default 10 000. */
  windowMs?: number;
  /** Retries allowed in any one second whatever the ratio says, so a quiet caller can retry; default 10. */
  minRetriesPerSecond?: number;
}

const SLOT_MS = 1_000;

/**
 * Caps retries so they cannot multiply an outage, as Finagle's and Linkerd's budgets do: a retry
 * is granted when, counting it, the retries of the last `windowMs` stay within `percent` of the
 * requests of that window, or the retries of the current second within `minRetriesPerSecond`.
 *
 * A ratio over time rather than over the requests in flight: when one instance of three dies it
 * takes a third of the requests in flight down in the same millisecond, and the traffic of the
 * seconds before has paid for their retries. When every instance fails, retries settle at
 * `percent` of the request rate (plus the floor): at most that much extra load, however long.
 *
 * The counters are a ring of one-second slots indexed by the clock, made on the first request:
 * counting costs no allocation, and a caller that never sends holds no ring.
 *
 * @example
 * ```ts
 * const budget = new RetryBudget({ percent: 20, windowMs: 10_000, minRetriesPerSecond: 10 });
 * budget.request(); // each request, once, on its first try
 * if (failed && budget.tryRetry()) retryElsewhere(); // each retry
 * ```
 */
export class RetryBudget {
  private readonly percent: number;
  private readonly minPerSecond: number;
  private readonly slots: number;
  /** Requests and retries of each second, at `second % slots`; undefined until the first request. */
  private requests: Uint32Array | undefined;
  private retries: Uint32Array | undefined;
  /** The second (`now / 1000`, rounded down) the newest slot counts. */
  private second = 0;
  private requestsInWindow = 0;
  private retriesInWindow = 0;

  constructor(options: RetryBudgetOptions = {}) {
    this.percent = options.percent ?? 20;
    this.minPerSecond = options.minRetriesPerSecond ?? 10;
    this.slots = Math.max(1, Math.ceil((options.windowMs ?? 10_000) / SLOT_MS));
  }

  /** Counts one request (once, not once per try) at `now` (ms since epoch). */
  request(now: number = Date.now()): void {
    const at = this.slotAt(now);
    const requests = this.requests as Uint32Array;
    requests[at] = (requests[at] as number) + 1;
    this.requestsInWindow++;
  }

  /** Grants one retry at `now` when the budget has room, and counts it; false when it has none. */
  tryRetry(now: number = Date.now()): boolean {
    const at = this.slotAt(now);
    const retries = this.retries as Uint32Array;
    const byRatio = (this.retriesInWindow + 1) * 100 <= this.percent * this.requestsInWindow;
    const thisSecond = retries[at] as number;
    if (!byRatio && thisSecond >= this.minPerSecond) return false;
    retries[at] = thisSecond + 1;
    this.retriesInWindow++;
    return true;
  }

  /** Requests and retries counted in the window that ends at `now`: for views and tests. */
  counts(now: number = Date.now()): { requests: number; retries: number } {
    if (this.requests === undefined) return { requests: 0, retries: 0 };
    this.slotAt(now);
    return { requests: this.requestsInWindow, retries: this.retriesInWindow };
  }

  /** The slot of `now`, after clearing the seconds the window moved past since the last call. */
  private slotAt(now: number): number {
    const second = Math.floor(now / SLOT_MS);
    if (this.requests === undefined) {
      this.requests = new Uint32Array(this.slots);
      this.retries = new Uint32Array(this.slots);
      this.second = second;
    } else if (second > this.second) {
      const requests = this.requests;
      const retries = this.retries as Uint32Array;
      const passed = Math.min(second - this.second, this.slots);
      for (let i = 1; i <= passed; i++) {
        const at = (this.second + i) % this.slots;
        this.requestsInWindow -= requests[at] as number;
        this.retriesInWindow -= retries[at] as number;
        requests[at] = 0;
        retries[at] = 0;
      }
      this.second = second;
    }
    // A clock set back counts in the newest slot rather than in one the window already passed.
    return this.second % this.slots;
  }
}
