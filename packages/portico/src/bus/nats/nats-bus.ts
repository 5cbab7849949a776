/**
 * The NATS JetStream adapter of `BusPort`. What JetStream gives: durable streams with per-stream
 * limits (retention), publish dedup by msgID within a window, durable pull consumers with explicit
 * acks and bounded max_ack_pending (groups, backpressure), nak with a delay. What Portico adds on
 * top: the dead-letter stream with the last error (nats/dead-letters.ts), its own max-deliver and
 * exponential backoff (nats/nats-consumer.ts), delayed messages (nats/delay-mover.ts), per-key
 * ordering and tenant filtering.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, headers as natsHeaders } from '@nats-io/transport-node';
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
import type { PorticoConfig } from '../../config/schema.js';
import type { BusDeps } from '../create-bus.js';
import { completeEnvelope } from '../envelope.js';
import { BusError } from '../errors.js';
import { checkTopic } from '../topic.js';
import { type NatsBusOptions, type NatsContext, topicStreamConfig, upsertStream } from './context.js';
import {
  deadLetterCounts,
  ensureDeadLetterStream,
  listDeadLetters,
  purgeDeadLetters,
  redeliverDeadLetter,
} from './dead-letters.js';
import { ensureDelayStream, publishDelayed, runMover } from './delay-mover.js';
import { HEADERS, names, token } from './naming.js';
import { describeStream, purgeTopic, redeliverScope, removeScope, scopedDeadLetters, topicInfo } from './nats-admin.js';
import { openConsumer } from './nats-consumer.js';
import { BusNatsError } from './nats-errors.js';
import { type ReadStart, readStream } from './read-stream.js';

export type { NatsBusOptions } from './context.js';

/**
 * Connects to NATS and returns the bus. The connection reconnects forever (with jitter) when the
 * server goes away; meanwhile a publish fails with `BUS_NATS_PUBLISH_FAILED` once its PubAck does
 * not come within `requestTimeoutMs` — a publish is acknowledged or an error, never silently lost.
 *
 * @example
 * ```ts
 * const bus = await connectNatsBus({ url: 'nats://127.0.0.1:4222' });
 * await bus.publish({ type: 'order.verified', tenantId: 't1', data: { orderId: 'o1' } });
 * ```
 */
export async function connectNatsBus(options: NatsBusOptions): Promise<BusPort & BusAdminPort> {
  const nc = await connect({
    servers: options.url,
    name: options.name ?? 'portico',
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 250,
    ...(options.user ? { user: options.user, pass: options.pass } : {}),
    ...(options.token ? { token: options.token } : {}),
  }).catch((error) => {
    throw new BusNatsError(
      'BUS_NATS_UNAVAILABLE',
      `cannot connect to NATS at ${String(options.url)}: ${String(error)}`,
      {
        cause: error,
      },
    );
  });
  const settings = {
    dedupWindowMs: 120_000,
    maxAckPending: 1000,
    requestTimeoutMs: 5000,
    ...options,
  };
  const streams = new Map<string, Promise<string>>();
  const context: NatsContext = {
    nc,
    js: jetstream(nc, { timeout: settings.requestTimeoutMs }),
    jsm: await jetstreamManager(nc, { timeout: settings.requestTimeoutMs }),
    names: names(options.prefix ?? 'portico'),
    options: settings,
    ensureTopic(topic) {
      try {
        checkTopic(topic);
      } catch (error) {
        return Promise.reject(error);
      }
      let ready = streams.get(topic);
      if (!ready) {
        const config = { ...topicStreamConfig(context, topic), name: context.names.stream(topic) };
        ready = upsertStream(context.jsm, config).then(() => config.name);
        // A failed creation (server away) is tried again by the next call.
        ready.catch(() => streams.delete(topic));
        streams.set(topic, ready);
      }
      return ready;
    },
  };
  await ensureDeadLetterStream(context);
  await ensureDelayStream(context);
  return new NatsBus(context);
}

class NatsBus implements BusPort, BusAdminPort {
  readonly #context: NatsContext;
  readonly #stop = new AbortController();
  readonly #mover: Promise<void>;
  readonly #members = new Set<BusConsumer>();

  constructor(context: NatsContext) {
    this.#context = context;
    this.#mover = runMover(context, (message) => this.#store(message), this.#stop.signal);
  }

  async publish<T>(input: PublishInput<T>): Promise<PublishReceipt> {
    checkTopic(input.type);
    const message = completeEnvelope(input);
    try {
      if (input.delayMs && input.delayMs > 0) {
        const sequence = await publishDelayed(this.#context, message, Date.now() + input.delayMs);
        this.#context.options.metrics?.published(message.type);
        return { id: message.id, sequence, duplicate: false };
      }
      const receipt = await this.#store(message);
      if (!receipt.duplicate) this.#context.options.metrics?.published(message.type);
      return receipt;
    } catch (error) {
      if (error instanceof BusNatsError) throw error;
      throw new BusNatsError('BUS_NATS_PUBLISH_FAILED', `publish of ${message.id} not acknowledged: ${String(error)}`, {
        cause: error,
      });
    }
  }

  /** Stores a (due) message in its topic and waits for the PubAck. */
  async #store(message: BusMessage): Promise<PublishReceipt> {
    await this.#context.ensureTopic(message.type);
    const headers = natsHeaders();
    if (message.tenantId) headers.set(HEADERS.tenant, message.tenantId);
    if (message.key !== undefined) headers.set(HEADERS.key, message.key);
    const ack = await this.#context.js.publish(
      this.#context.names.messageSubject(message.type, message.key),
      JSON.stringify(message),
      {
        msgID: message.id,
        headers,
        timeout: this.#context.options.requestTimeoutMs,
      },
    );
    return { id: message.id, sequence: ack.seq, duplicate: ack.duplicate };
  }

  async consumer<T = unknown>(topic: string, options: GroupOptions): Promise<BusConsumer<T>> {
    const member = await openConsumer<T>(this.#context, topic, options);
    this.#members.add(member as BusConsumer);
    const close = member.close.bind(member);
    member.close = async () => {
      this.#members.delete(member as BusConsumer);
      await close();
    };
    return member;
  }

  async read(topic: string, options: ReadOptions): Promise<{ sequence: number; message: BusMessage }[]> {
    const stream = await this.#context.ensureTopic(topic);
    const from = options.from;
    const start: ReadStart =
      from.kind === 'all'
        ? { all: true }
        : from.kind === 'sequence'
          ? { seq: from.sequence }
          : from.kind === 'time'
            ? { time: from.time }
            : { none: true };
    const rows = await readStream(this.#context, stream, {
      start,
      limit: options.limit,
      keep: (_seq, body) => !options.tenants || options.tenants.includes((body as BusMessage).tenantId ?? ''),
    });
    return rows.map(({ seq, body }) => ({ sequence: seq, message: body as BusMessage }));
  }

  async topics(): Promise<TopicInfo[]> {
    const dead = await deadLetterCounts(this.#context);
    const out: TopicInfo[] = [];
    for await (const info of this.#context.jsm.streams.list()) {
      if (info.config.name.startsWith(this.#context.names.streamPrefix))
        out.push(await describeStream(this.#context, info, dead));
    }
    return out.sort((a, b) => a.topic.localeCompare(b.topic));
  }

  async topicInfo(topic: string): Promise<TopicInfo | undefined> {
    checkTopic(topic);
    return topicInfo(this.#context, topic);
  }

  listDeadLetters(scope: DeadLetterScope & { limit: number; after?: string }): Promise<DeadLetter[]> {
    return scopedDeadLetters(this.#context, scope);
  }

  redeliverDeadLetters(scope: DeadLetterScope): Promise<number> {
    return redeliverScope(this.#context, scope);
  }

  removeDeadLetters(scope: DeadLetterScope): Promise<number> {
    return removeScope(this.#context, scope);
  }

  async purgeTopic(topic: string): Promise<number> {
    checkTopic(topic);
    return purgeTopic(this.#context, topic);
  }

  deadLetters(filter: { topic?: string; group?: string; limit: number; after?: string }): Promise<DeadLetter[]> {
    return listDeadLetters(this.#context, filter);
  }

  redeliver(deadLetterId: string): Promise<boolean> {
    return redeliverDeadLetter(this.#context, deadLetterId);
  }

  purgeDeadLetters(filter: { topic?: string; group?: string }): Promise<number> {
    return purgeDeadLetters(this.#context, filter);
  }

  async close(): Promise<void> {
    this.#stop.abort();
    await Promise.all([...this.#members].map((member) => member.close().catch(() => {})));
    await this.#mover.catch(() => {});
    await this.#context.nc.drain().catch(() => {});
  }
}

/** The durable consumer name of a group (its encoding), for tools that look at the server. */
export const consumerName = token;

/**
 * The resolver's entry (`bus.adapter: nats`, loaded lazily by create-bus.ts): the adapter from
 * the `bus` config section.
 *
 * @example
 * ```ts
 * const bus = await createNatsBus(config.bus);
 * ```
 */
export function createNatsBus(config: PorticoConfig['bus'], deps: BusDeps = {}): Promise<BusPort & BusAdminPort> {
  if (!config.url)
    throw new BusError('BUS_CONFIG_INVALID', 'bus.adapter "nats" needs bus.url (e.g. nats://127.0.0.1:4222)');
  return connectNatsBus({
    url: config.url.split(',').map((url) => url.trim()),
    prefix: config.nats.prefix,
    dedupWindowMs: config.dedupWindowMs,
    retention: (topic) => ({ ...config.retention, ...config.topics[topic] }),
    maxAckPending: config.nats.maxAckPending,
    requestTimeoutMs: config.nats.requestTimeoutMs,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    ...(config.nats.token ? { token: config.nats.token } : {}),
    ...(config.nats.user ? { user: config.nats.user, pass: config.nats.pass } : {}),
  });
}
