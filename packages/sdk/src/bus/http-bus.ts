import { PorticoError } from '../errors.js';
import { type BusCredentials, type BusHttpCall, busHttpCall } from './bus-http-call.js';
import type {
  BusConsumer,
  BusMessage,
  BusPort,
  DeadLetter,
  GroupOptions,
  PublishInput,
  PublishReceipt,
  ReadOptions,
  TopicInfo,
} from './bus-types.js';
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
 * The admin calls of the port (`read`, `topics`, dead letters) belong to the bus admin API, which
 * `HttpBus` does not speak yet: they fail with `NOT_FOUND` (docs/bus.md, "HttpBus").
 *
 * @example
 * ```ts
 * import { createBus, HttpBus } from '@portico/sdk';
 * const port = new HttpBus({ url: 'http://127.0.0.1:9080', apiKey: process.env.PORTICO_API_KEY });
 * const bus = createBus<{ 'order.verified': { orderId: string } }>(port);
 * await bus.subscribe('order.verified', async (m) => pay(m.data.orderId), { group: 'payout' });
 * ```
 */
export class HttpBus implements BusPort {
  private readonly call: BusHttpCall;
  private readonly timeoutMs: number;
  private readonly consumers = new Set<HttpConsumer<unknown>>();

  constructor(options: HttpBusOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    const credentials: BusCredentials = {};
    if (options.apiKey !== undefined) credentials.apiKey = options.apiKey;
    if (options.token !== undefined) credentials.token = options.token;
    this.call = busHttpCall(options.url, credentials, this.timeoutMs);
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
    return notOverHttp('topics');
  }

  deadLetters(_filter: { topic?: string; group?: string; limit: number; after?: string }): Promise<DeadLetter[]> {
    return notOverHttp('deadLetters');
  }

  redeliver(_deadLetterId: string): Promise<boolean> {
    return notOverHttp('redeliver');
  }

  purgeDeadLetters(_filter: { topic?: string; group?: string }): Promise<number> {
    return notOverHttp('purgeDeadLetters');
  }

  /** Closes every consumer it opened: their unacked deliveries go back to their groups. */
  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.close().catch(() => undefined)));
  }
}

function notOverHttp(method: string): Promise<never> {
  return Promise.reject(
    new PorticoError('NOT_FOUND', `HttpBus.${method}: the bus admin API is not available over HTTP yet`),
  );
}
