import { DeliverPolicy } from '@nats-io/jetstream';
import type { NatsContext } from './context.js';

/** Where a read starts in a stream. */
export type ReadStart = { all: true } | { seq: number } | { time: string } | { none: true };

/**
 * Reads stored messages of `stream` in order through an ordered (ephemeral, server-side
 * cleaned-up) consumer, stopping at the stream's last sequence as it was when the read began,
 * so a read never waits for messages that are not there. Bodies are the JSON Portico stored.
 *
 * @example
 * ```ts
 * const rows = await readStream(context, 'PORTICO_DLQ', { start: { all: true }, limit: 100 });
 * ```
 */
export async function readStream(
  context: NatsContext,
  stream: string,
  options: {
    start: ReadStart;
    limit: number;
    keep?: (seq: number, body: unknown, headers: { get(name: string): string } | undefined) => boolean;
  },
): Promise<{ seq: number; body: unknown }[]> {
  if ('none' in options.start || options.limit <= 0) return [];
  const info = await context.jsm.streams.info(stream);
  const last = info.state.last_seq;
  if (info.state.messages === 0) return [];
  if ('seq' in options.start && options.start.seq > last) return [];
  const consumer = await context.js.consumers.get(stream, {
    ...('all' in options.start ? { deliver_policy: DeliverPolicy.All } : {}),
    ...('seq' in options.start
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, options.start.seq) }
      : {}),
    ...('time' in options.start ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: options.start.time } : {}),
  });
  const out: { seq: number; body: unknown }[] = [];
  try {
    for (;;) {
      const batch = await consumer.fetch({
        max_messages: Math.min(256, options.limit - out.length + 16),
        expires: 1000,
      });
      let seen = 0;
      let done = false;
      for await (const msg of batch) {
        seen++;
        if (msg.seq > last) {
          done = true;
          break;
        }
        const body = msg.json<unknown>();
        if (!options.keep || options.keep(msg.seq, body, msg.headers)) out.push({ seq: msg.seq, body });
        if (out.length >= options.limit || msg.seq >= last) {
          done = true;
          break;
        }
      }
      if (done || seen === 0) break;
    }
  } finally {
    await consumer.delete().catch(() => {});
  }
  return out;
}
