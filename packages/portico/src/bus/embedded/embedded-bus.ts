import type {
  BusAdminPort,
  BusConsumer,
  BusMessage,
  BusPort,
  DeadLetter,
  DeadLetterScope,
  GroupOptions,
  PublishInput,
  PublishReceipt,
  ReadOptions,
  TopicInfo,
} from '@portico/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../store/database.js';
import type { BusMetrics } from '../bus-metrics.js';
import { BusError } from '../errors.js';
import { checkTopic } from '../topic.js';
import { AckBatcher } from './ack-batcher.js';
import { listDeadLetters, purgeDeadLetters, readTopic, redeliverDeadLetter, topicInfos } from './admin-queries.js';
import { purgeTopicMessages, redeliverScope, removeScope, scopedDeadLetters } from './admin-scope.js';
import { EmbeddedConsumer } from './consumer.js';
import { ensureGroup } from './group.js';
import { BUS_CHANNEL, publishMessage } from './publish.js';
import { type RetentionConfig, sweepOnce } from './sweeper.js';
import { Wakeup } from './wakeup.js';

/** Settings of the embedded adapter (config `bus.*`). */
export interface EmbeddedBusOptions {
  retention: RetentionConfig;
  /** Safety-net poll of a waiting fetch, for publishes from other processes. Default 200. */
  pollMs?: number;
  /** Retention sweep interval; 0 = no sweeper (tests call `sweep()`). Default 30000. */
  sweepMs?: number;
  /** Upper bound of one fetch, whatever `max` asks (bounded prefetch). Default 1000. */
  maxFetch?: number;
  metrics?: BusMetrics;
  /**
   * PostgreSQL: the store's dedicated listening connection (`Store.listen`). With it, publishes
   * notify `portico_bus` and this bus holds ONE listener that wakes its waiting fetches when
   * another process publishes. Absent (PGlite): in-process wake-up and polling only.
   */
  listen?: (
    channel: string,
    onNotification: (payload: string | undefined) => void,
  ) => Promise<{ close(): Promise<void> }>;
}

/**
 * The embedded bus: durable in the store (PGlite or PostgreSQL), so `npm start` needs nothing
 * else. See docs/bus.md, "Embedded adapter".
 *
 * @example
 * ```ts
 * const bus = new EmbeddedBus(store.db, { retention: { defaults: {}, topics: {}, dedupWindowMs: 120000 } });
 * await bus.publish({ type: 'order.verified', data: { orderId: 'o1' } });
 * ```
 */
export class EmbeddedBus implements BusPort, BusAdminPort {
  private readonly db: Kysely<unknown>;
  private readonly wakeup = new Wakeup();
  private readonly acks: AckBatcher;
  private readonly consumers = new Set<BusConsumer>();
  private readonly sweeper: NodeJS.Timeout | undefined;
  private closed = false;
  /** The one listener of this bus, opened with the first consumer (a publisher needs none). */
  private listener: Promise<{ close(): Promise<void> } | undefined> | undefined;

  constructor(
    db: Kysely<Database>,
    private readonly options: EmbeddedBusOptions,
  ) {
    this.db = db as unknown as Kysely<unknown>;
    this.acks = new AckBatcher(this.db);
    const sweepMs = options.sweepMs ?? 30000;
    if (sweepMs > 0) {
      this.sweeper = setInterval(() => void this.sweep().catch(() => undefined), sweepMs);
      this.sweeper.unref();
    }
  }

  async publish<T>(input: PublishInput<T>): Promise<PublishReceipt> {
    this.open();
    const receipt = await publishMessage(this.db, input, this.options.listen !== undefined);
    if (!receipt.duplicate) this.options.metrics?.published(input.type);
    this.wakeup.notify(input.type);
    return receipt;
  }

  async consumer<T = unknown>(topic: string, options: GroupOptions): Promise<BusConsumer<T>> {
    this.open();
    checkTopic(topic);
    await ensureGroup(this.db, topic, options);
    await this.listening();
    const metrics = this.options.metrics;
    const consumer = new EmbeddedConsumer<T>(
      {
        db: this.db,
        acks: this.acks,
        wakeup: this.wakeup,
        pollMs: this.options.pollMs ?? 200,
        maxFetch: this.options.maxFetch ?? 1000,
        onSettle: metrics ? (t, g, outcome, n) => metrics.settled(t, g, outcome, n) : undefined,
      },
      topic,
      options,
    );
    this.consumers.add(consumer);
    return consumer;
  }

  read(topic: string, options: ReadOptions): Promise<{ sequence: number; message: BusMessage }[]> {
    return readTopic(this.db, topic, options);
  }

  async topics(): Promise<TopicInfo[]> {
    return (await topicInfos(this.db)).map((info) => this.withRetention(info));
  }

  async topicInfo(topic: string): Promise<TopicInfo | undefined> {
    checkTopic(topic);
    const [info] = await topicInfos(this.db, topic);
    return info && this.withRetention(info);
  }

  listDeadLetters(scope: DeadLetterScope & { limit: number; after?: string }): Promise<DeadLetter[]> {
    return scopedDeadLetters(this.db, scope);
  }

  async redeliverDeadLetters(scope: DeadLetterScope): Promise<number> {
    const moved = await redeliverScope(this.db, scope);
    if (moved > 0) {
      this.wakeup.notify(scope.topic);
      // The group's members may be in other processes (the admin API runs here).
      if (this.options.listen) await sql`select pg_notify(${BUS_CHANNEL}, ${scope.topic})`.execute(this.db);
    }
    return moved;
  }

  removeDeadLetters(scope: DeadLetterScope): Promise<number> {
    return removeScope(this.db, scope);
  }

  async purgeTopic(topic: string): Promise<number> {
    checkTopic(topic);
    return purgeTopicMessages(this.db, topic);
  }

  private withRetention(info: TopicInfo): TopicInfo {
    const { defaults, topics } = this.options.retention;
    return { ...info, retention: { ...defaults, ...topics[info.topic] } };
  }

  deadLetters(filter: { topic?: string; group?: string; limit: number; after?: string }): Promise<DeadLetter[]> {
    return listDeadLetters(this.db, filter);
  }

  async redeliver(deadLetterId: string): Promise<boolean> {
    const done = await redeliverDeadLetter(this.db, deadLetterId);
    if (done) this.wakeup.notifyAll();
    return done;
  }

  purgeDeadLetters(filter: { topic?: string; group?: string }): Promise<number> {
    return purgeDeadLetters(this.db, filter);
  }

  /** One retention pass now (the sweeper runs it every `sweepMs`). */
  sweep(): Promise<number> {
    return sweepOnce(this.db, this.options.retention);
  }

  /** Closes every consumer (their unacked deliveries go back) and stops the sweeper; the store stays open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.wakeup.notifyAll();
    await Promise.all([...this.consumers].map((c) => c.close()));
    await (await this.listener)?.close();
  }

  /** Opens the listener once; a failure leaves this bus on polling (NOTIFY is a wake-up aid only). */
  private listening(): Promise<unknown> {
    const listen = this.options.listen;
    if (!listen) return Promise.resolve();
    this.listener ??= listen(BUS_CHANNEL, (topic) => {
      // undefined: the connection came back and may have missed some; every waiter looks again.
      if (topic === undefined) this.wakeup.notifyAll();
      else this.wakeup.notify(topic);
    }).catch(() => undefined);
    return this.listener;
  }

  private open(): void {
    if (this.closed) throw new BusError('BUS_CLOSED', 'the bus is closed');
  }
}
