import type { BusMessage, DeadLetter, ReadOptions, TopicInfo } from '@portico/sdk';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { BusError } from '../errors.js';

const parse = (v: unknown): BusMessage => (typeof v === 'string' ? JSON.parse(v) : v) as BusMessage;

/** Replay: stored messages of a topic from a sequence or a time, without a group. */
export async function readTopic(
  db: Kysely<unknown>,
  topic: string,
  options: ReadOptions,
): Promise<{ sequence: number; message: BusMessage }[]> {
  const limit = Math.max(0, Math.min(1000, Math.floor(options.limit)));
  const from = options.from;
  let where = sql`true`;
  if (from.kind === 'sequence') where = sql`sequence >= ${Math.floor(from.sequence)}`;
  else if (from.kind === 'time') {
    if (Number.isNaN(Date.parse(from.time))) throw new BusError('BUS_INPUT_INVALID', 'from.time must be ISO 8601');
    where = sql`published_at >= ${new Date(from.time)}`;
  } else if (from.kind === 'new') return [];
  const tenants = options.tenants ? sql`and tenant_id = any(${sql.val([...options.tenants])}::text[])` : sql``;
  const rows = await sql<{ sequence: string; envelope: unknown }>`
    select sequence, envelope from bus_messages where topic = ${topic} and ${where} ${tenants}
    order by sequence limit ${limit}`.execute(db);
  return rows.rows.map((r) => ({ sequence: Number(r.sequence), message: parse(r.envelope) }));
}

/** Every topic (or only `only`) with its size and groups. */
export async function topicInfos(db: Kysely<unknown>, only?: string): Promise<TopicInfo[]> {
  const one = only ?? null;
  const topics = await sql<{ topic: string; messages: string; bytes: string; first: string; last: string }>`
    select t.topic, count(m.sequence) as messages, coalesce(sum(m.bytes), 0) as bytes,
      coalesce(min(m.sequence), 0) as first, coalesce(max(m.sequence), 0) as last
    from (select topic from bus_messages where ${one}::text is null or topic = ${one}
      union select topic from bus_groups where ${one}::text is null or topic = ${one}) t
    left join bus_messages m on m.topic = t.topic group by t.topic order by t.topic`.execute(db);
  const groups = await sql<{ topic: string; name: string; pending: string; in_flight: string; dead: string }>`
    select g.topic, g.name,
      (select count(*) from bus_deliveries d where d.topic = g.topic and d.grp = g.name
        and (d.token is null or d.visible_at <= now()))
      + (select count(*) from bus_messages m where m.topic = g.topic and m.sequence > g.position) as pending,
      (select count(*) from bus_deliveries d where d.topic = g.topic and d.grp = g.name
        and d.token is not null and d.visible_at > now()) as in_flight,
      (select count(*) from bus_dead_letters x where x.topic = g.topic and x.grp = g.name) as dead
    from bus_groups g where ${one}::text is null or g.topic = ${one} order by g.topic, g.name`.execute(db);
  return topics.rows.map((t) => ({
    topic: t.topic,
    messages: Number(t.messages),
    bytes: Number(t.bytes),
    firstSequence: Number(t.first),
    lastSequence: Number(t.last),
    groups: groups.rows
      .filter((g) => g.topic === t.topic)
      .map((g) => ({
        group: g.name,
        pending: Number(g.pending),
        inFlight: Number(g.in_flight),
        lag: Number(g.pending) + Number(g.in_flight),
        deadLetters: Number(g.dead),
      })),
  }));
}

/** A `bus_dead_letters` row as read. */
export interface DeadLetterRow {
  id: string;
  topic: string;
  grp: string;
  sequence: string;
  envelope: unknown;
  attempts: number;
  error: string;
  dead_at: Date;
}

/** Dead letters, oldest first, paged by `after` (an entry id). */
export async function listDeadLetters(
  db: Kysely<unknown>,
  filter: { topic?: string; group?: string; limit: number; after?: string },
): Promise<DeadLetter[]> {
  return deadLettersWhere(
    db,
    sql`(${filter.topic ?? null}::text is null or x.topic = ${filter.topic ?? null})
      and (${filter.group ?? null}::text is null or x.grp = ${filter.group ?? null})`,
    filter,
  );
}

/** Dead letters `where` selects (over `bus_dead_letters x`), oldest first, after the entry `after`. */
export async function deadLettersWhere(
  db: Kysely<unknown>,
  where: RawBuilder<unknown>,
  page: { limit: number; after?: string },
): Promise<DeadLetter[]> {
  const after = page.after ?? null;
  const rows = await sql<DeadLetterRow>`
    select x.* from bus_dead_letters x
    where ${where}
      and (${after}::text is null or (x.dead_at, x.id) > (select dead_at, id from bus_dead_letters where id = ${after}))
    order by x.dead_at, x.id limit ${Math.max(0, Math.min(1000, Math.floor(page.limit)))}`.execute(db);
  return rows.rows.map((r) => ({
    id: r.id,
    topic: r.topic,
    group: r.grp,
    sequence: Number(r.sequence),
    message: parse(r.envelope),
    attempts: r.attempts,
    error: r.error,
    deadAt: new Date(r.dead_at).toISOString(),
  }));
}

/** A dead letter back to its group as a fresh delivery (attempt restarts); false when gone. */
export async function redeliverDeadLetter(db: Kysely<unknown>, id: string): Promise<boolean> {
  return (await redeliverWhere(db, sql`x.id = ${id}`)) > 0;
}

/**
 * Moves the dead letters `where` selects (over `bus_dead_letters x`) back to their groups as
 * fresh deliveries. Only entries whose message is still stored move: one removed by retention
 * stays a dead letter (its envelope is kept there) rather than vanishing.
 */
export async function redeliverWhere(db: Kysely<unknown>, where: RawBuilder<unknown>): Promise<number> {
  const result = await sql`
    with x as (
      delete from bus_dead_letters x where ${where}
        and exists (select 1 from bus_messages m where m.sequence = x.sequence)
      returning x.topic, x.grp, x.sequence
    )
    insert into bus_deliveries (topic, grp, sequence, key, visible_at)
    select x.topic, x.grp, x.sequence, m.key, now() from x join bus_messages m on m.sequence = x.sequence
    on conflict do nothing`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** Removes dead letters of a topic/group, or all; returns how many. */
export async function purgeDeadLetters(
  db: Kysely<unknown>,
  filter: { topic?: string; group?: string },
): Promise<number> {
  const result = await sql`delete from bus_dead_letters
    where (${filter.topic ?? null}::text is null or topic = ${filter.topic ?? null})
      and (${filter.group ?? null}::text is null or grp = ${filter.group ?? null})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
