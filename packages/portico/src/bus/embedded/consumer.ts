import { type BusConsumer, backoffDelay, type Delivery, type GroupOptions } from '@portico/sdk';
import type { Kysely } from 'kysely';
import { BusError } from '../errors.js';
import type { AckBatcher } from './ack-batcher.js';
import { claimDeliveries } from './claim.js';
import { advanceGroup } from './group.js';
import { deadLetter, nackDelivery, releaseDeliveries } from './settle.js';
import type { Wakeup } from './wakeup.js';

/** What a consumer needs of its bus. */
export interface ConsumerContext {
  db: Kysely<unknown>;
  /** Acks go through the bus's batcher: concurrent acks share one statement. */
  acks: AckBatcher;
  wakeup: Wakeup;
  pollMs: number;
  maxFetch: number;
  onSettle?(topic: string, group: string, outcome: 'delivered' | 'acked' | 'retried' | 'dead', n: number): void;
}

/**
 * One member of a group on the embedded bus. A fetch takes new messages into the group, claims
 * a batch, and when there is none waits for a publish in this process (or the poll interval, for
 * publishes from other processes and for delays and ack-waits that run out) until `waitMs`.
 */
export class EmbeddedConsumer<T> implements BusConsumer<T> {
  private readonly held = new Set<string>();
  private closed = false;

  constructor(
    private readonly ctx: ConsumerContext,
    private readonly topic: string,
    private readonly options: GroupOptions,
  ) {}

  async fetch(max: number, waitMs: number): Promise<Delivery<T>[]> {
    if (this.closed) throw new BusError('BUS_CLOSED', 'the consumer is closed');
    if (!Number.isInteger(max) || max < 1) throw new BusError('BUS_INPUT_INVALID', 'max must be an integer >= 1');
    const limit = Math.min(max, this.ctx.maxFetch);
    const deadline = Date.now() + Math.max(0, waitMs);
    for (;;) {
      await advanceGroup(this.ctx.db, this.topic, this.options.group, this.options.tenants);
      const got = await claimDeliveries(
        this.ctx.db,
        this.topic,
        this.options.group,
        limit,
        this.options.ackWaitMs ?? 30000,
        this.options.ordered === true,
      );
      if (got.length > 0 || this.closed || Date.now() >= deadline) {
        for (const d of got) this.held.add(d.token);
        this.ctx.onSettle?.(this.topic, this.options.group, 'delivered', got.length);
        return got as Delivery<T>[];
      }
      await this.ctx.wakeup.wait(this.topic, Math.min(this.ctx.pollMs, deadline - Date.now()));
    }
  }

  async ack(token: string): Promise<void> {
    this.held.delete(token);
    if (await this.ctx.acks.ack(token)) this.ctx.onSettle?.(this.topic, this.options.group, 'acked', 1);
  }

  async nack(token: string, options: { delayMs?: number; error?: string } = {}): Promise<void> {
    this.held.delete(token);
    const outcome = await nackDelivery(this.ctx.db, token, {
      delayMs: (attempt) => options.delayMs ?? backoffDelay(attempt, this.options.backoff),
      maxDeliver: this.options.maxDeliver ?? 5,
      error: options.error ?? 'nacked',
    });
    if (outcome === 'retry') this.ctx.onSettle?.(this.topic, this.options.group, 'retried', 1);
    if (outcome === 'dead') this.ctx.onSettle?.(this.topic, this.options.group, 'dead', 1);
  }

  async reject(token: string, error: string): Promise<void> {
    this.held.delete(token);
    if (await deadLetter(this.ctx.db, token, error)) this.ctx.onSettle?.(this.topic, this.options.group, 'dead', 1);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await releaseDeliveries(this.ctx.db, [...this.held]);
    this.held.clear();
  }
}
