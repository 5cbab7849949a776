import type { KV } from '@nats-io/kv';
import type { Instance } from '@portico/sdk';
import type { Logger } from 'pino';
import { isCasConflict } from './kv-errors.js';
import { heartbeatKey, instanceKey } from './kv-keys.js';
import type { ExpiredLease, KvMirror } from './kv-mirror.js';
import { encodeRecord, type HeartbeatRecord, type InstanceRecord } from './kv-records.js';
import type { LeaderTerm } from './leader-term.js';

/** What one sweep did: removals written, and removals refused by compare-and-set. */
export interface SweepResult {
  expired: number;
  refused: number;
}

/**
 * Expires leases (nats-server 2.9 has no per-key TTL): the registry process holding the
 * leader term looks in its mirror for instances past their lease and writes their removal.
 * Each removal is two compare-and-set writes on the revisions it read, so it is written once
 * or refused: first a fence on the heartbeat key (a heartbeat since, or another sweeper's
 * fence, makes it fail), then the tombstone on the instance key (a re-registration since, or
 * another sweeper's tombstone, makes it fail). A paused ex-leader that wakes with an old
 * mirror therefore cannot remove a live instance nor remove one twice.
 *
 * @example
 * ```ts
 * const sweeper = new LeaseSweeper({ mirror, kv, leases, term, sweepMs: 500, logger });
 * sweeper.start();
 * ```
 */
export class LeaseSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SweepResult> | undefined;
  /** Removals refused by compare-and-set since start, for logs and tests. */
  refusedTotal = 0;

  constructor(
    private readonly deps: {
      mirror: KvMirror;
      kv: KV;
      leases: KV;
      term: LeaderTerm;
      sweepMs: number;
      logger: Logger;
      onExpired?: (instance: Instance) => void;
    },
  ) {}

  start(): void {
    // A pass does not throw (a failed write waits for the next pass); the catch is for bugs' sake.
    this.timer = setInterval(() => this.sweep().catch(() => {}), this.deps.sweepMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass, when this process holds the term; a pass still running is joined, not doubled. */
  sweep(): Promise<SweepResult> {
    if (this.running) return this.running;
    const pass = this.pass();
    this.running = pass;
    // Cleared only after the assignment above: a pass that ends at once must not leave itself behind.
    pass
      .finally(() => {
        if (this.running === pass) this.running = undefined;
      })
      .catch(() => {});
    return pass;
  }

  private async pass(): Promise<SweepResult> {
    if (!this.deps.term.isLeader()) return { expired: 0, refused: 0 };
    return this.expire(this.deps.mirror.expired(Date.now()));
  }

  /** Writes the removal of each lease, fenced; what the sweep found is passed in, so a test can hold it. */
  async expire(leases: ExpiredLease[]): Promise<SweepResult> {
    const result = { expired: 0, refused: 0 };
    for (const lease of leases) {
      try {
        if (await this.expireOne(lease)) result.expired++;
        else result.refused++;
      } catch (error) {
        // NATS away: the lease is still expired at the next sweep.
        this.deps.logger.warn({ err: error, id: lease.instance.id }, 'lease expiry not written');
        break;
      }
    }
    if (result.refused > 0) {
      this.refusedTotal += result.refused;
      this.deps.logger.info(
        { refused: result.refused, refusedTotal: this.refusedTotal },
        'lease expiries refused by compare-and-set (renewed, re-registered or expired by another registry process)',
      );
    }
    return result;
  }

  private async expireOne(lease: ExpiredLease): Promise<boolean> {
    const { instance } = lease;
    const fence: HeartbeatRecord = { at: Date.now(), expiresAt: 0 };
    const tombstone: InstanceRecord = { op: 'removed', reason: 'expired', instance };
    try {
      await this.deps.leases.put(heartbeatKey(instance.id), encodeRecord(fence), {
        previousSeq: lease.heartbeatRevision,
      });
      await this.deps.kv.put(instanceKey(instance.id), encodeRecord(tombstone), {
        previousSeq: lease.instanceRevision,
      });
    } catch (error) {
      if (isCasConflict(error)) return false;
      throw error;
    }
    this.deps.onExpired?.(instance);
    return true;
  }
}
