import { currentTraceparent } from './bus-tracing.js';
import type { BusPort, GroupOptions, PublishInput, PublishReceipt } from './bus-types.js';
import { type BusEvent, type BusHandler, runSubscription, type Subscription } from './subscription.js';

/** Options of `publish` beyond the type and the data. */
export type PublishOptions = Omit<PublishInput, 'type' | 'data'>;

/** Options of `subscribe`: the group's settings plus how the SDK runs handlers. */
export interface SubscribeOptions extends GroupOptions {
  /** Handlers at once, and the prefetch. Default 1. */
  concurrency?: number;
  processedWindow?: number;
  fetchWaitMs?: number;
}

/**
 * Topic name → payload type, so `publish` and `subscribe` are checked by the compiler. A
 * service declares its map once: `createBus<{ 'order.verified': { orderId: string } }>(port)`.
 */
export type TopicMap = Record<string, unknown>;

/** The service author's bus: typed publish and subscribe over any `BusPort`. */
export interface ServiceBus<M extends TopicMap> {
  publish<K extends keyof M & string>(type: K, data: M[K], options?: PublishOptions): Promise<PublishReceipt>;
  subscribe<K extends keyof M & string>(
    type: K,
    handler: BusHandler<M[K]>,
    options: SubscribeOptions,
  ): Promise<Subscription>;
  /** Drains every subscription (see `Subscription.drain`), bounded by `timeoutMs` in total. */
  drain(timeoutMs: number): Promise<{ finished: number; nacked: number }>;
}

/**
 * Wraps a bus port (the SDK's `HttpBus`, or an in-process adapter) into the typed API.
 *
 * @example
 * ```ts
 * const bus = createBus<{ 'order.verified': { orderId: string } }>(port, { onEvent: countIt });
 * await bus.subscribe('order.verified', async (m) => pay(m.data.orderId), { group: 'payout', concurrency: 4 });
 * await bus.publish('order.verified', { orderId: 'o1' }, { tenantId: 't1' });
 * ```
 */
export function createBus<M extends TopicMap>(
  port: BusPort,
  hooks: { onEvent?: (event: BusEvent) => void; onError?: (error: unknown) => void } = {},
): ServiceBus<M> {
  const subscriptions: Subscription[] = [];
  return {
    publish(type, data, options = {}) {
      const traceparent = options.traceparent ?? currentTraceparent();
      return port.publish({ ...options, type, data, ...(traceparent === undefined ? {} : { traceparent }) });
    },
    async subscribe(type, handler, options) {
      const { concurrency, processedWindow, fetchWaitMs, ...group } = options;
      const consumer = await port.consumer<M[typeof type]>(type, group);
      const sub = runSubscription(consumer, handler, {
        topic: type,
        group: group.group,
        ...(concurrency === undefined ? {} : { concurrency }),
        ...(processedWindow === undefined ? {} : { processedWindow }),
        ...(fetchWaitMs === undefined ? {} : { fetchWaitMs }),
        ...(group.backoff === undefined ? {} : { backoff: group.backoff }),
        ...hooks,
      });
      subscriptions.push(sub);
      return sub;
    },
    async drain(timeoutMs) {
      const results = await Promise.all(subscriptions.splice(0).map((s) => s.drain(timeoutMs)));
      return results.reduce((a, r) => ({ finished: a.finished + r.finished, nacked: a.nacked + r.nacked }), {
        finished: 0,
        nacked: 0,
      });
    },
  };
}
