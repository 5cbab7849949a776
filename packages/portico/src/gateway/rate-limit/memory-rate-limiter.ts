import type { HealthStatus } from '@portico/sdk';
import { gcraHit, gcraIdleAt } from './gcra.js';
import type { Clock, RateLimitCell, RateLimitDecision, RateLimitRule } from './rate-limit-rule.js';
import type { RateLimitBucket, RateLimiter } from './rate-limiter.js';
import { slidingWindowHit, slidingWindowIdleAt } from './sliding-window.js';

/** Options of the memory adapter. */
export interface MemoryRateLimiterOptions {
  /**
   * Most keys kept across all buckets. Idle keys are swept; past this many live ones the oldest
   * are forgotten (they start afresh), so a spray of addresses cannot grow memory without bound.
   */
  maxKeys?: number;
  /** Milliseconds; default a monotonic clock, so a wall-clock step cannot lock keys out. */
  clock?: Clock;
  /** How often idle keys are swept; 0 turns the timer off (tests sweep by hand). */
  sweepIntervalMs?: number;
}

const monotonicNow: Clock = () => Math.floor(performance.timeOrigin + performance.now());

/**
 * The memory adapter: counters in this process, answered synchronously (no promise, no
 * allocation for a known key). Exact for one process; each process counts on its own.
 *
 * @example
 * ```ts
 * const limiter = new MemoryRateLimiter({ maxKeys: 100_000 });
 * const bucket = limiter.bucket('hello:ip:gcra', { algorithm: 'gcra', limit: 10, windowMs: 1000, burst: 10 });
 * const decision = bucket.hit('203.0.113.9') as RateLimitDecision;
 * ```
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly store = 'memory';
  readonly clock: Clock;
  readonly maxKeys: number;
  readonly #buckets = new Map<string, MemoryBucket>();
  readonly #sweep: NodeJS.Timeout | undefined;
  /** Keys across all buckets. */
  size = 0;

  constructor(options: MemoryRateLimiterOptions = {}) {
    this.clock = options.clock ?? monotonicNow;
    this.maxKeys = options.maxKeys ?? 100_000;
    const every = options.sweepIntervalMs ?? 10_000;
    this.#sweep = every > 0 ? setInterval(() => this.sweep(), every).unref() : undefined;
  }

  bucket(name: string, rule: RateLimitRule): MemoryBucket {
    let bucket = this.#buckets.get(name);
    if (bucket === undefined) {
      bucket = new MemoryBucket(this, rule);
      this.#buckets.set(name, bucket);
    } else {
      bucket.setRule(rule);
    }
    return bucket;
  }

  health(): HealthStatus {
    return 'healthy';
  }

  /** Forgets the keys that count nothing any more; returns how many went. */
  sweep(now = this.clock()): number {
    let removed = 0;
    for (const bucket of this.#buckets.values()) removed += bucket.sweep(now);
    return removed;
  }

  /** Called before a new key is stored: makes room when the limiter is full. */
  makeRoom(now: number): void {
    if (this.size < this.maxKeys) return;
    this.sweep(now);
    if (this.size < this.maxKeys) return;
    // Still full of live keys: forget the oldest hundredth of the largest bucket at once, so
    // the next inserts do not each pay for a sweep.
    let largest: MemoryBucket | undefined;
    for (const bucket of this.#buckets.values())
      if (!largest || bucket.cells.size > largest.cells.size) largest = bucket;
    largest?.evictOldest(Math.max(1, Math.ceil(this.maxKeys / 100)));
  }

  async close(): Promise<void> {
    if (this.#sweep) clearInterval(this.#sweep);
    this.#buckets.clear();
    this.size = 0;
  }
}

/** One rule's counters in memory. */
export class MemoryBucket implements RateLimitBucket {
  rule: RateLimitRule;
  readonly cells = new Map<string, RateLimitCell>();
  /** The answer, reused by every call (see RateLimitDecision). */
  readonly #out: RateLimitDecision = { allowed: false, remaining: 0, resetMs: 0, retryAfterMs: 0 };
  #hit: typeof gcraHit;
  #idleAt: (cell: RateLimitCell, rule: RateLimitRule) => number;

  constructor(
    private readonly owner: MemoryRateLimiter,
    rule: RateLimitRule,
  ) {
    this.rule = rule;
    [this.#hit, this.#idleAt] = algorithmOf(rule);
  }

  setRule(rule: RateLimitRule): void {
    // Cells of another algorithm mean something else: start afresh rather than misread them.
    if (rule.algorithm !== this.rule.algorithm) this.clear();
    this.rule = rule;
    [this.#hit, this.#idleAt] = algorithmOf(rule);
  }

  hit(key: string): RateLimitDecision {
    const now = this.owner.clock();
    let cell = this.cells.get(key);
    if (cell === undefined) {
      this.owner.makeRoom(now);
      cell = { a: 0, b: 0, c: 0 };
      this.cells.set(key, cell);
      this.owner.size++;
    }
    this.#hit(cell, this.rule, now, this.#out);
    return this.#out;
  }

  sweep(now: number): number {
    let removed = 0;
    for (const [key, cell] of this.cells) {
      if (now >= this.#idleAt(cell, this.rule)) {
        this.cells.delete(key);
        removed++;
      }
    }
    this.owner.size -= removed;
    return removed;
  }

  /** Forgets the `count` keys stored first (a Map iterates in insertion order). */
  evictOldest(count: number): void {
    let left = count;
    for (const key of this.cells.keys()) {
      if (left-- === 0) break;
      this.cells.delete(key);
      this.owner.size--;
    }
  }

  private clear(): void {
    this.owner.size -= this.cells.size;
    this.cells.clear();
  }
}

function algorithmOf(rule: RateLimitRule): [typeof gcraHit, (cell: RateLimitCell, rule: RateLimitRule) => number] {
  return rule.algorithm === 'gcra' ? [gcraHit, gcraIdleAt] : [slidingWindowHit, slidingWindowIdleAt];
}
