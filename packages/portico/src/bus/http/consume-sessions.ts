import { randomUUID } from 'node:crypto';
import type { BusConsumer, BusPort, Delivery, GroupOptions } from '@portico/sdk';
import type { BusMetrics } from '../bus-metrics.js';
import { busHttpError, busRouteError } from './bus-http-errors.js';

/** Bounds of the consume API (config `bus.http`). */
export interface ConsumeLimits {
  maxWaitMs: number;
  maxBatch: number;
  consumerIdleMs: number;
  maxConsumers: number;
}

/** One HTTP consumer: a member of a group on the bus, owned by the caller that opened it. */
export interface ConsumeSession {
  readonly id: string;
  readonly owner: string;
  readonly topic: string;
  readonly options: GroupOptions;
  readonly consumer: BusConsumer;
  /** Tokens handed out and not settled, with when the bus may hand them to another member. */
  readonly held: Map<string, number>;
  lastUsed: number;
  /** Calls running now; a session with one is never idle. */
  busy: number;
}

/**
 * The open HTTP consumers of one admin server. A consumer that is not called within
 * `consumerIdleMs` (its process died, or forgot to close) is closed here, so its deliveries go
 * back to the group and nothing it held is kept in memory.
 *
 * @example
 * ```ts
 * const sessions = new ConsumeSessions(bus, limits);
 * const s = await sessions.open('acme/api-key/k1', 'order.verified', { group: 'payout' });
 * ```
 */
export class ConsumeSessions {
  private readonly sessions = new Map<string, ConsumeSession>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly bus: BusPort,
    readonly limits: ConsumeLimits,
    private readonly metrics?: BusMetrics,
  ) {
    this.sweeper = setInterval(() => void this.closeIdle(), Math.min(5000, Math.ceil(limits.consumerIdleMs / 2)));
    this.sweeper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  async open(owner: string, topic: string, options: GroupOptions): Promise<ConsumeSession> {
    if (this.sessions.size >= this.limits.maxConsumers) {
      throw busRouteError('BUS_CONSUMER_LIMIT', `this process already has ${this.limits.maxConsumers} HTTP consumers`);
    }
    const consumer = await this.bus.consumer(topic, options).catch((error: unknown) => {
      throw busHttpError(error);
    });
    const session: ConsumeSession = {
      id: randomUUID(),
      owner,
      topic,
      options,
      consumer,
      held: new Map(),
      lastUsed: Date.now(),
      busy: 0,
    };
    this.sessions.set(session.id, session);
    this.metrics?.httpConsumers(this.sessions.size);
    return session;
  }

  /** The session `id` of `owner`; another caller's is as unknown as a closed one. */
  get(id: string, owner: string): ConsumeSession {
    const session = this.sessions.get(id);
    if (!session || session.owner !== owner) {
      throw busRouteError('BUS_CONSUMER_UNKNOWN', `no open consumer ${id}: open a new one`);
    }
    return session;
  }

  /** Runs `call` on a session, marking it busy (not idle) until it ends; adapter errors mapped. */
  async use<T>(session: ConsumeSession, call: () => Promise<T>): Promise<T> {
    session.busy += 1;
    session.lastUsed = Date.now();
    try {
      return await call();
    } catch (error) {
      throw busHttpError(error);
    } finally {
      session.busy -= 1;
      session.lastUsed = Date.now();
    }
  }

  /** A bounded fetch; the deliveries are remembered as held until settled or past their ack wait. */
  async fetch(session: ConsumeSession, max: number, waitMs: number): Promise<Delivery[]> {
    const batch = Math.min(max, this.limits.maxBatch);
    const wait = Math.min(waitMs, this.limits.maxWaitMs);
    const got = await this.use(session, () => session.consumer.fetch(batch, wait));
    const now = Date.now();
    // Past its ack wait a token is the bus's again (another member may hold the message).
    for (const [token, until] of session.held) if (until <= now) session.held.delete(token);
    const until = now + (session.options.ackWaitMs ?? 30_000);
    for (const d of got) session.held.set(d.token, until);
    return got;
  }

  /** Settles one held delivery; a token the session does not hold is `BUS_DELIVERY_UNKNOWN`. */
  async settle(session: ConsumeSession, token: string, how: (c: BusConsumer) => Promise<void>): Promise<void> {
    const until = session.held.get(token);
    if (until === undefined || until <= Date.now()) {
      session.held.delete(token);
      throw busRouteError(
        'BUS_DELIVERY_UNKNOWN',
        'this consumer holds no delivery with that token (settled, or past its ack wait)',
      );
    }
    session.held.delete(token);
    await this.use(session, () => how(session.consumer));
  }

  /** Closes a session: its unsettled deliveries go back to the group at once. */
  async close(session: ConsumeSession): Promise<void> {
    if (!this.sessions.delete(session.id)) return;
    this.metrics?.httpConsumers(this.sessions.size);
    session.held.clear();
    await session.consumer.close().catch(() => undefined);
  }

  /** Closes every session not called within `consumerIdleMs`. */
  async closeIdle(now = Date.now()): Promise<number> {
    const idle = [...this.sessions.values()].filter(
      (s) => s.busy === 0 && now - s.lastUsed >= this.limits.consumerIdleMs,
    );
    await Promise.all(idle.map((s) => this.close(s)));
    return idle.length;
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.values()].map((s) => this.close(s)));
  }
}
