import type { KV } from '@nats-io/kv';
import type { Logger } from 'pino';
import { isCasConflict } from './kv-errors.js';
import { LEADER_KEY } from './kv-keys.js';
import { decodeRecord, encodeRecord, type LeaderRecord } from './kv-records.js';

/**
 * One registry process's claim to be the lease sweeper: the leader key of the lease bucket,
 * taken and renewed by compare-and-set on its revision, held for `leaseMs` unless renewed. No
 * consensus of Portico's own: JetStream orders the writes, and a process whose renewal loses a
 * compare-and-set has lost the term. A paused leader stops believing in its term by its own
 * clock, and whatever it still writes is fenced by compare-and-set on the keys it touches.
 *
 * @example
 * ```ts
 * const term = new LeaderTerm(leases, 'registry-a', 10_000, logger);
 * term.start();
 * if (term.isLeader()) await sweep();
 * ```
 */
export class LeaderTerm {
  private revision = 0;
  private until = 0;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;

  constructor(
    private readonly leases: KV,
    readonly owner: string,
    private readonly leaseMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), Math.max(50, Math.floor(this.leaseMs / 3)));
    this.timer.unref();
  }

  /** True while this process's term runs by its own clock, with a margin for skew between hosts. */
  isLeader(): boolean {
    const margin = Math.min(1000, this.leaseMs / 4);
    return this.revision > 0 && Date.now() < this.until - margin;
  }

  /** Renews the term, or takes it when it is free or its holder let it run out. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      await this.claim();
    } catch (error) {
      // NATS away: a held term runs out on its own; nothing to undo.
      this.logger.debug({ err: error }, 'registry leader term: renewal failed');
    } finally {
      this.ticking = false;
    }
  }

  /** Stops renewing; a held term is handed back at once, so another process sweeps without waiting. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    if (this.revision === 0) return;
    const revision = this.revision;
    this.revision = 0;
    await this.leases.delete(LEADER_KEY, { previousSeq: revision }).catch(() => {});
  }

  private async claim(): Promise<void> {
    const now = Date.now();
    const record = encodeRecord({ owner: this.owner, until: now + this.leaseMs } satisfies LeaderRecord);
    if (this.revision > 0) {
      try {
        this.revision = await this.leases.update(LEADER_KEY, record, this.revision);
        this.until = now + this.leaseMs;
        return;
      } catch (error) {
        if (!isCasConflict(error)) throw error;
        this.revision = 0;
        this.until = 0;
        this.logger.warn({ owner: this.owner }, 'registry leader term lost: another registry process holds it');
      }
    }
    const entry = await this.leases.get(LEADER_KEY);
    const held = entry?.operation === 'PUT' ? decodeRecord<LeaderRecord>(entry.value) : undefined;
    if (held && held.until > now && held.owner !== this.owner) return;
    try {
      this.revision = await this.leases.put(LEADER_KEY, record, { previousSeq: entry?.revision ?? 0 });
      this.until = now + this.leaseMs;
      this.logger.info({ owner: this.owner }, 'registry leader term taken: this process sweeps expired leases');
    } catch (error) {
      if (!isCasConflict(error)) throw error;
    }
  }
}
