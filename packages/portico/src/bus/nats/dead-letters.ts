/**
 * Portico's dead-letter stream on JetStream. JetStream has no dead-letter queue (only a
 * max-deliveries advisory), so Portico keeps one stream, `<PREFIX>_DLQ`, subject
 * `<prefix>-dlq.<topic>.<group>`, each entry a JSON `DeadLetter` whose id is its sequence there.
 */
import { JetStreamApiError, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import type { BusMessage, DeadLetter } from '@portico/sdk';
import type { NatsContext } from './context.js';
import { upsertStream } from './context.js';
import { HEADERS } from './naming.js';
import { readStream } from './read-stream.js';

/** Creates the dead-letter stream (no limits: entries stay until redelivered or purged). */
export async function ensureDeadLetterStream(context: NatsContext): Promise<void> {
  await upsertStream(context.jsm, {
    name: context.names.dlqStream,
    subjects: [`${context.names.dlqFilter().split('.')[0]}.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
  });
}

/**
 * Stores a dead letter and resolves once JetStream has it. The msgID is the message's stream
 * sequence per group, so a member that dies between this publish and its `term` (and whose
 * message is then dead-lettered again) leaves one entry, not two.
 */
export async function storeDeadLetter(
  context: NatsContext,
  entry: { topic: string; group: string; message: BusMessage; sequence: number; attempts: number; error: string },
): Promise<void> {
  const body = { ...entry, deadAt: new Date().toISOString() };
  await context.js.publish(context.names.dlqSubject(entry.topic, entry.group), JSON.stringify(body), {
    msgID: `dlq:${context.names.stream(entry.topic)}:${entry.group}:${entry.sequence}`,
    timeout: context.options.requestTimeoutMs,
  });
}

/** Lists dead letters in order, optionally of one topic/group, after the entry id `after`. */
export async function listDeadLetters(
  context: NatsContext,
  filter: { topic?: string; group?: string; limit: number; after?: string },
): Promise<DeadLetter[]> {
  const after = filter.after === undefined ? 0 : Number(filter.after);
  const entries = await readStream(context, context.names.dlqStream, {
    start: Number.isSafeInteger(after) && after > 0 ? { seq: after + 1 } : { all: true },
    limit: filter.limit,
    keep: (_seq, body) => {
      const entry = body as Omit<DeadLetter, 'id'>;
      return (
        (filter.topic === undefined || entry.topic === filter.topic) &&
        (filter.group === undefined || entry.group === filter.group)
      );
    },
  });
  return entries.map(({ seq, body }) => ({ id: String(seq), ...(body as Omit<DeadLetter, 'id'>) }));
}

/** Puts a dead letter back to its group only (other groups skip it), then removes it. */
export async function redeliverDeadLetter(context: NatsContext, id: string): Promise<boolean> {
  const seq = Number(id);
  if (!Number.isSafeInteger(seq) || seq < 1) return false;
  const stored = await context.jsm.streams.getMessage(context.names.dlqStream, { seq }).catch((error) => {
    if (error instanceof JetStreamApiError && (error.code === 10037 || error.status === 404)) return null;
    throw error;
  });
  if (!stored) return false;
  const entry = stored.json<Omit<DeadLetter, 'id'>>();
  await context.ensureTopic(entry.topic);
  const headers = natsHeaders();
  headers.set(HEADERS.onlyGroup, entry.group);
  if (entry.message.tenantId) headers.set(HEADERS.tenant, entry.message.tenantId);
  await context.js.publish(
    context.names.messageSubject(entry.topic, entry.message.key),
    JSON.stringify(entry.message),
    {
      msgID: `redeliver:${id}`,
      headers,
      timeout: context.options.requestTimeoutMs,
    },
  );
  await context.jsm.streams.deleteMessage(context.names.dlqStream, seq, false);
  return true;
}

/** Removes dead letters (all, or of one topic/group) with a subject-filtered purge. */
export async function purgeDeadLetters(
  context: NatsContext,
  filter: { topic?: string; group?: string },
): Promise<number> {
  const all = filter.topic === undefined && filter.group === undefined;
  const answer = await context.jsm.streams.purge(
    context.names.dlqStream,
    all ? undefined : { filter: context.names.dlqFilter(filter.topic, filter.group) },
  );
  return answer.purged;
}

/** Dead letters per `<topic>.<group>` subject, for the topic listing. */
export async function deadLetterCounts(context: NatsContext): Promise<Map<string, number>> {
  const info = await context.jsm.streams.info(context.names.dlqStream, { subjects_filter: '>' });
  return new Map(Object.entries(info.state.subjects ?? {}));
}
