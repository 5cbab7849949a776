/**
 * The admin side of the NATS adapter (`BusAdminPort`): figures from stream and consumer info,
 * dead letters of `<PREFIX>_DLQ` scoped by topic, group, tenant or id, and purges.
 */
import { JetStreamApiError, type StreamInfo } from '@nats-io/jetstream';
import type { DeadLetter, DeadLetterScope, GroupInfo, RetentionOptions, TopicInfo } from '@portico/sdk';
import type { NatsContext } from './context.js';
import { deadLetterCounts, redeliverDeadLetter } from './dead-letters.js';
import { readStream } from './read-stream.js';

/** JetStream's "stream not found". */
const STREAM_NOT_FOUND = 10059;

/** A topic stream's figures with its groups (an ordered group's bucket consumers summed under its name). */
export async function describeStream(
  context: NatsContext,
  info: StreamInfo,
  dead: ReadonlyMap<string, number>,
): Promise<TopicInfo> {
  const { jsm, names: n } = context;
  const topic = (info.config.subjects?.[0] ?? '').slice(n.subject('').length);
  const byGroup = new Map<string, GroupInfo>();
  for await (const consumer of jsm.consumers.list(info.config.name)) {
    const group = consumer.config.description ?? consumer.config.durable_name ?? consumer.name;
    const row = byGroup.get(group) ?? { group, pending: 0, inFlight: 0, lag: 0, deadLetters: 0 };
    row.pending += consumer.num_pending;
    row.inFlight += consumer.num_ack_pending;
    row.lag = row.pending + row.inFlight;
    row.deadLetters = dead.get(n.dlqSubject(topic, group)) ?? 0;
    byGroup.set(group, row);
  }
  return {
    topic,
    messages: info.state.messages,
    bytes: info.state.bytes,
    firstSequence: info.state.first_seq,
    lastSequence: info.state.last_seq,
    groups: [...byGroup.values()].sort((a, b) => a.group.localeCompare(b.group)),
    retention: retentionOf(info),
  };
}

/** The stream's limits in Portico's terms (JetStream: 0 or -1 = unlimited). */
function retentionOf(info: StreamInfo): RetentionOptions {
  const out: RetentionOptions = {};
  if (info.config.max_age > 0) out.maxAgeMs = Math.round(info.config.max_age / 1_000_000);
  if (info.config.max_msgs > 0) out.maxMessages = info.config.max_msgs;
  if (info.config.max_bytes > 0) out.maxBytes = info.config.max_bytes;
  return out;
}

/** The info of a topic's stream, or undefined when JetStream has none (never creates it). */
export async function streamInfo(context: NatsContext, topic: string): Promise<StreamInfo | undefined> {
  try {
    return await context.jsm.streams.info(context.names.stream(topic));
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === STREAM_NOT_FOUND) return undefined;
    throw error;
  }
}

/** One topic's figures, or undefined when it has no stream. */
export async function topicInfo(context: NatsContext, topic: string): Promise<TopicInfo | undefined> {
  const info = await streamInfo(context, topic);
  return info && describeStream(context, info, await deadLetterCounts(context));
}

/** Dead letters of a scope in stream order, after the entry id `after`. */
export async function scopedDeadLetters(
  context: NatsContext,
  scope: DeadLetterScope & { limit: number; after?: string },
): Promise<DeadLetter[]> {
  const after = scope.after === undefined ? 0 : Number(scope.after);
  const id = scope.id === undefined ? undefined : Number(scope.id);
  if (id !== undefined && !(Number.isSafeInteger(id) && id > 0)) return [];
  const start =
    id !== undefined
      ? { seq: id }
      : Number.isSafeInteger(after) && after > 0
        ? { seq: after + 1 }
        : { all: true as const };
  const entries = await readStream(context, context.names.dlqStream, {
    start,
    limit: id !== undefined ? 1 : scope.limit,
    keep: (seq, body) => {
      const entry = body as Omit<DeadLetter, 'id'>;
      return (
        (id === undefined || seq === id) &&
        entry.topic === scope.topic &&
        (scope.group === undefined || entry.group === scope.group) &&
        (scope.tenant === undefined || entry.message.tenantId === scope.tenant)
      );
    },
  });
  return entries.map(({ seq, body }) => ({ id: String(seq), ...(body as Omit<DeadLetter, 'id'>) }));
}

/** Every dead letter of a scope, page by page (bounded: the stream's size when the call began). */
async function everyMatch(context: NatsContext, scope: DeadLetterScope): Promise<DeadLetter[]> {
  const out: DeadLetter[] = [];
  let after: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const got = await scopedDeadLetters(context, { ...scope, limit: 1000, ...(after ? { after } : {}) });
    out.push(...got);
    if (got.length < 1000 || scope.id !== undefined) break;
    after = got[got.length - 1]?.id;
  }
  return out;
}

/** Redelivers the dead letters of a scope to their groups; returns how many went back. */
export async function redeliverScope(context: NatsContext, scope: DeadLetterScope): Promise<number> {
  let moved = 0;
  for (const entry of await everyMatch(context, scope)) if (await redeliverDeadLetter(context, entry.id)) moved++;
  return moved;
}

/** Removes the dead letters of a scope: one subject purge, or entry by entry for a tenant or an id. */
export async function removeScope(context: NatsContext, scope: DeadLetterScope): Promise<number> {
  if (scope.tenant === undefined && scope.id === undefined) {
    const answer = await context.jsm.streams.purge(context.names.dlqStream, {
      filter: context.names.dlqFilter(scope.topic, scope.group),
    });
    return answer.purged;
  }
  let removed = 0;
  for (const entry of await everyMatch(context, scope)) {
    if (await context.jsm.streams.deleteMessage(context.names.dlqStream, Number(entry.id), false).catch(() => false))
      removed++;
  }
  return removed;
}

/** Purges a topic's stream and its delayed messages not yet due; consumers stay. */
export async function purgeTopic(context: NatsContext, topic: string): Promise<number> {
  if (!(await streamInfo(context, topic))) return 0;
  const answer = await context.jsm.streams.purge(context.names.stream(topic));
  const delayed = await context.jsm.streams.purge(context.names.delayedStream, {
    filter: context.names.delayedSubject(topic),
  });
  return answer.purged + delayed.purged;
}
