import { PorticoError } from '../errors.js';
import { type BusCredentials, type BusHttpCall, busHttpCall } from './bus-http-call.js';
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
} from './bus-types.js';
import { HttpBusAdmin } from './http-bus-admin.js';
import { HttpConsumer } from './http-consumer.js';

/** Options of an {@link HttpBus}. */
export interface HttpBusOptions extends BusCredentials {
  /** Base URL of Portico's admin port, e.g. `http://127.0.0.1:9080`. */
  url: string;
  /** Time limit of a call, on top of a fetch's own wait. Default 10000. */
  timeoutMs?: number;
}

/**
 * The network adapter of the bus port: a service in another process publishes and consumes through
 * Portico's bus HTTP API (`POST /v1/bus/messages`, `/v1/bus/consumers`), with an API key or an
 * access token holding `bus.publish` / `bus.consume`. Portico keeps a tenant's consumers to that
 * tenant's messages. `createBus(port)` and `serve({ bus })` take it like any adapter.
 *
 * It also speaks the bus admin API (`BusAdminPort`: `topicInfo`, `listDeadLetters`,
 * `redeliverDeadLetters`, `removeDeadLetters`, `purgeTopic`; and `topics`, `deadLetters` and
 * `purgeDeadLetters` of the port), with a credential holding `bus.admin`. `read` (replay) and
 * `redeliver(id)` without a topic have no admin route: they fail with `NOT_FOUND`
 * (docs/bus.md, "HttpBus").
 *
 * @example
 * ```ts
 * import { createBus, HttpBus } from '@portico/sdk';
 * const port = new HttpBus({ url: 'http://127.0.0.1:9080', apiKey: process.env.PORTICO_API_KEY });
 * const bus = createBus<{ 'order.verified': { orderId: string } }>(port);
 * await bus.subscribe('order.verified', async (m) => pay(m.data.orderId), { group: 'payout' });
 * ```
 */
export class HttpBus implements BusPort, BusAdminPort {
  private readonly call: BusHttpCall;
  private readonly timeoutMs: number;
  private readonly consumers = new Set<HttpConsumer<unknown>>();
  private readonly admin: HttpBusAdmin;

  constructor(options: HttpBusOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    const credentials: BusCredentials = {};
    if (options.apiKey !== undefined) credentials.apiKey = options.apiKey;
    if (options.token !== undefined) credentials.token = options.token;
    this.call = busHttpCall(options.url, credentials, this.timeoutMs);
    this.admin = new HttpBusAdmin(this.call);
  }

  publish<T>(input: PublishInput<T>): Promise<PublishReceipt> {
    return this.call<PublishReceipt>('POST', '/v1/bus/messages', input);
  }

  async consumer<T = unknown>(topic: string, options: GroupOptions): Promise<BusConsumer<T>> {
    const consumer = await HttpConsumer.open<T>(this.call, topic, options, this.timeoutMs, (c) =>
      this.consumers.delete(c as HttpConsumer<unknown>),
    );
    this.consumers.add(consumer as HttpConsumer<unknown>);
    return consumer;
  }

  read(_topic: string, _options: ReadOptions): Promise<{ sequence: number; message: BusMessage }[]> {
    return notOverHttp('read');
  }

  topics(): Promise<TopicInfo[]> {
    return this.admin.topics();
  }

  /** Dead letters of `filter.topic` (the admin API lists per topic: without one, `NOT_FOUND`). */
  deadLetters(filter: { topic?: string; group?: string; limit: number; after?: string }): Promise<DeadLetter[]> {
    const { topic, ...rest } = filter;
    if (topic === undefined) return notOverHttp('deadLetters without a topic');
    return this.admin.listDeadLetters({ topic, ...rest });
  }

  redeliver(_deadLetterId: string): Promise<boolean> {
    return notOverHttp('redeliver (use redeliverDeadLetters with the topic and id)');
  }

  /** Removes the dead letters of one topic, or of every topic (one call per topic). */
  async purgeDeadLetters(filter: { topic?: string; group?: string }): Promise<number> {
    const group = filter.group === undefined ? {} : { group: filter.group };
    if (filter.topic !== undefined) return this.admin.removeDeadLetters({ topic: filter.topic, ...group });
    let purged = 0;
    for (const { topic } of await this.admin.topics())
      purged += await this.admin.removeDeadLetters({ topic, ...group });
    return purged;
  }

  topicInfo(topic: string): Promise<TopicInfo | undefined> {
    return this.admin.topicInfo(topic);
  }

  listDeadLetters(scope: DeadLetterScope & { limit: number; after?: string }): Promise<DeadLetter[]> {
    return this.admin.listDeadLetters(scope);
  }

  redeliverDeadLetters(scope: DeadLetterScope): Promise<number> {
    return this.admin.redeliverDeadLetters(scope);
  }

  removeDeadLetters(scope: DeadLetterScope): Promise<number> {
    return this.admin.removeDeadLetters(scope);
  }

  purgeTopic(topic: string): Promise<number> {
    return this.admin.purgeTopic(topic);
  }

  /** Closes every consumer it opened: their unacked deliveries go back to their groups. */
  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.close().catch(() => undefined)));
  }
}

function notOverHttp(method: string): Promise<never> {
  return Promise.reject(new PorticoError('NOT_FOUND', `HttpBus.${method}: the bus admin API has no route for it`));
}
