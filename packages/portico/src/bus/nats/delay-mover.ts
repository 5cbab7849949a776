/**
 * Delayed messages. JetStream 2.9 has no scheduled delivery, so a delayed publish is stored in
 * `<PREFIX>_DELAYED` (durable at once) with its due time in `Portico-Deliver-At`, and a mover —
 * one durable consumer shared by every Portico process — republishes it into its topic when due
 * (nak with the remaining time until then). The republish carries the message id as msgID, so a
 * mover that dies between republish and ack causes no duplicate within the dedup window. The
 * topic stream thus only holds due messages: group attempt counts and ordering stay clean.
 */
import { AckPolicy, JetStreamApiError, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { nanos, headers as natsHeaders } from '@nats-io/transport-node';
import type { BusMessage } from '@portico/sdk';
import type { NatsContext } from './context.js';
import { upsertStream } from './context.js';
import { HEADERS } from './naming.js';

const MOVER = 'mover';

/** Creates the delay stream and its mover consumer. */
export async function ensureDelayStream(context: NatsContext): Promise<void> {
  await upsertStream(context.jsm, {
    name: context.names.delayedStream,
    subjects: [`${context.names.delayedSubject('x').split('.')[0]}.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    duplicate_window: nanos(context.options.dedupWindowMs),
  });
  try {
    await context.jsm.consumers.info(context.names.delayedStream, MOVER);
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== 10014) throw error;
    await context.jsm.consumers.add(context.names.delayedStream, {
      durable_name: MOVER,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(30_000),
      max_deliver: -1,
    });
  }
}

/** Stores a delayed message; resolves once it is durable. */
export async function publishDelayed(context: NatsContext, message: BusMessage, deliverAt: number): Promise<number> {
  const headers = natsHeaders();
  headers.set(HEADERS.deliverAt, String(deliverAt));
  headers.set(HEADERS.topic, message.type);
  const ack = await context.js.publish(context.names.delayedSubject(message.type), JSON.stringify(message), {
    msgID: message.id,
    headers,
    timeout: context.options.requestTimeoutMs,
  });
  return ack.seq;
}

/**
 * Runs the mover until `signal` aborts: fetches due/not-due delayed messages, republishes the due
 * ones through `republish`, naks the others for their remaining time.
 */
export async function runMover(
  context: NatsContext,
  republish: (message: BusMessage) => Promise<unknown>,
  signal: AbortSignal,
): Promise<void> {
  const consumer = await context.js.consumers.get(context.names.delayedStream, MOVER);
  while (!signal.aborted) {
    try {
      const batch = await consumer.fetch({ max_messages: 100, expires: 1000 });
      for await (const msg of batch) {
        const due = Number(msg.headers?.get(HEADERS.deliverAt) ?? 0);
        const wait = due - Date.now();
        if (wait > 0) {
          msg.nak(wait);
          continue;
        }
        await republish(msg.json<BusMessage>());
        await msg.ackAck();
        if (signal.aborted) break;
      }
    } catch {
      // The server is away (reconnecting) or the mover lost a race: try again shortly.
      if (!signal.aborted) await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
