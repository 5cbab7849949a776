import { PorticoError } from '../errors.js';
import { backoffDelay } from './backoff.js';
import { consumeTraced } from './bus-tracing.js';
import type { BackoffOptions, BusConsumer, BusMessage, Delivery } from './bus-types.js';
import { ProcessedWindow } from './processed-window.js';

/** What the SDK reports per topic and group, for metrics (counters in the service's registry). */
export type BusEventKind = 'delivered' | 'acked' | 'retried' | 'dead-lettered' | 'duplicate';

/** One metrics event of a subscription. */
export interface BusEvent {
  kind: BusEventKind;
  topic: string;
  group: string;
  messageId: string;
  attempt: number;
}

/** A service author's handler: resolve to ack, throw to retry (or a non-retryable PorticoError to dead-letter). */
export type BusHandler<T> = (message: BusMessage<T>, delivery: Delivery<T>) => Promise<void> | void;

/** How a subscription runs on top of one group member. */
export interface SubscriptionOptions {
  topic: string;
  group: string;
  /** Handlers running at once; also the prefetch, so a slow service never holds more. Default 1. */
  concurrency?: number;
  /** Backoff the SDK asks for on nack; absent = the group's own backoff. */
  backoff?: BackoffOptions;
  /** Ids remembered to ack duplicates without the handler. Default 10000. */
  processedWindow?: number;
  /** Longest wait of one fetch; bounds how fast a drain stops fetching. Default 1000. */
  fetchWaitMs?: number;
  /** Metrics hook, called synchronously; must not throw. */
  onEvent?: (event: BusEvent) => void;
  /** Called when a fetch/ack fails (bus unreachable); the loop waits `retryDelayMs` and goes on. */
  onError?: (error: unknown) => void;
  /** Pause after a failed fetch. Default 1000. */
  retryDelayMs?: number;
}

/** A running subscription. */
export interface Subscription {
  /** Stops fetching, lets in-flight handlers finish within `timeoutMs`, nacks the rest, closes the member. */
  drain(timeoutMs: number): Promise<{ finished: number; nacked: number }>;
  /** Deliveries being handled now (never above `concurrency`). */
  readonly inFlight: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `handler` for the deliveries of `consumer`: bounded prefetch (= concurrency), ack on
 * success, nack with backoff on a throw, reject (dead-letter) on a non-retryable PorticoError,
 * duplicates by message id acked without the handler.
 *
 * @example
 * ```ts
 * const consumer = await bus.consumer('order.verified', { group: 'payout' });
 * const sub = runSubscription(consumer, async (m) => pay(m.data), { topic: 'order.verified', group: 'payout' });
 * process.once('SIGTERM', () => sub.drain(10_000));
 * ```
 */
export function runSubscription<T>(
  consumer: BusConsumer<T>,
  handler: BusHandler<T>,
  options: SubscriptionOptions,
): Subscription {
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a positive integer');
  const processed = new ProcessedWindow(options.processedWindow ?? 10_000);
  const fetchWaitMs = options.fetchWaitMs ?? 1000;
  const inFlight = new Map<string, Promise<void>>();
  // Deliveries whose handler has not settled; what a drain past its deadline nacks.
  const pending = new Map<string, Delivery<T>>();
  let stopping = false;
  let drained = false;
  let wakeSlot: (() => void) | undefined;

  const emit = (kind: BusEventKind, d: Delivery<T>) =>
    options.onEvent?.({
      kind,
      topic: options.topic,
      group: options.group,
      messageId: d.message.id,
      attempt: d.attempt,
    });

  // The outcome of one delivery; a failed ack/nack is reported, never thrown into the loop:
  // the bus's ack deadline gives the message back, which at-least-once already accounts for.
  async function settle(d: Delivery<T>): Promise<void> {
    try {
      await consumeTraced(d.message, options.group, () => handler(d.message, d));
    } catch (error) {
      if (stopping && drained) return; // drain already nacked it
      const reason = error instanceof Error ? error.message : String(error);
      try {
        if (error instanceof PorticoError && !error.retryable) {
          await consumer.reject(d.token, reason);
          emit('dead-lettered', d);
        } else {
          const delayMs = options.backoff ? backoffDelay(d.attempt, options.backoff) : undefined;
          await consumer.nack(d.token, delayMs === undefined ? { error: reason } : { delayMs, error: reason });
          emit('retried', d);
        }
      } catch (settleError) {
        options.onError?.(settleError);
      }
      return;
    }
    if (stopping && drained) return;
    processed.add(d.message.id);
    try {
      await consumer.ack(d.token);
      emit('acked', d);
    } catch (error) {
      options.onError?.(error);
    }
  }

  function start(d: Delivery<T>): void {
    emit('delivered', d);
    const run = settle(d).finally(() => {
      inFlight.delete(d.token);
      wakeSlot?.();
    });
    inFlight.set(d.token, run);
    pending.set(d.token, d);
    run.finally(() => pending.delete(d.token));
  }

  async function loop(): Promise<void> {
    while (!stopping) {
      const free = concurrency - inFlight.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => {
          wakeSlot = resolve;
        });
        wakeSlot = undefined;
        continue;
      }
      let batch: Delivery<T>[];
      try {
        batch = await consumer.fetch(free, fetchWaitMs);
      } catch (error) {
        options.onError?.(error);
        await sleep(options.retryDelayMs ?? 1000);
        continue;
      }
      for (const d of batch) {
        if (stopping) {
          // Fetched while the drain began: give it straight back to the group.
          await consumer.nack(d.token, { delayMs: 0, error: 'consumer draining' }).catch(options.onError);
          continue;
        }
        if (processed.has(d.message.id)) {
          emit('duplicate', d);
          await consumer.ack(d.token).catch(options.onError);
          continue;
        }
        start(d);
      }
    }
  }

  const looping = loop();

  return {
    get inFlight() {
      return inFlight.size;
    },
    async drain(timeoutMs) {
      stopping = true;
      wakeSlot?.();
      const before = inFlight.size;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      });
      await Promise.race([Promise.all([looping, ...inFlight.values()]).then(() => undefined), deadline]);
      clearTimeout(timer);
      drained = true;
      const left = [...pending.values()];
      await Promise.all(
        left.map((d) => consumer.nack(d.token, { delayMs: 0, error: 'consumer drained' }).catch(options.onError)),
      );
      await consumer.close().catch(options.onError);
      return { finished: before - left.length, nacked: left.length };
    },
  };
}
