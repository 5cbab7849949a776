import { randomUUID } from 'node:crypto';
import type { BusPort } from '@portico/sdk';
import type { Logger } from 'pino';
import type { RealtimeHub } from './realtime-hub.js';

/** A running feed; `close` stops fetching and leaves the group. */
export interface BusFeed {
  close(): Promise<void>;
}

/**
 * Feeds the hub from the bus: each gateway process joins the realtime topic as its own group
 * (fan-out: every process gets every message) and starts at new messages, since the hub's
 * history lives in memory and a fresh process has no sockets waiting for older ones.
 *
 * @example
 * ```ts
 * const feed = await startBusFeed(bus, 'realtime.publish', hub, logger);
 * ```
 */
export async function startBusFeed(bus: BusPort, topic: string, hub: RealtimeHub, logger: Logger): Promise<BusFeed> {
  const consumer = await bus.consumer(topic, { group: `realtime-${randomUUID()}`, start: { kind: 'new' } });
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const batch = await consumer.fetch(256, 1_000);
        for (const delivery of batch) hub.deliver(delivery.message);
        // Acked together, so an adapter that coalesces acks (the embedded one) settles a batch at once.
        await Promise.all(batch.map((delivery) => consumer.ack(delivery.token)));
      } catch (error) {
        if (!running) return;
        logger.warn({ err: error }, 'realtime bus feed failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
      }
    }
  })();
  return {
    async close() {
      running = false;
      await consumer.close();
      await loop;
    },
  };
}
