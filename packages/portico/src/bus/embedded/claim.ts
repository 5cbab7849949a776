import { randomUUID } from 'node:crypto';
import type { BusMessage, Delivery } from '@portico/sdk';
import { type Kysely, sql } from 'kysely';

interface ClaimedRow {
  sequence: string;
  attempt: number;
  token: string;
  envelope: BusMessage | string;
}

/**
 * Claims up to `max` visible deliveries of a group in ONE statement (`FOR UPDATE SKIP LOCKED`,
 * so competing members never block on each other). A claimed delivery becomes invisible for
 * `ackWaitMs`: if its member dies, it is visible again after that and another member claims it,
 * with `attempt` counting every delivery. With `ordered`, only the head of each key (its lowest
 * remaining sequence) is claimable, so two messages of one key are never in flight at once.
 */
export async function claimDeliveries(
  db: Kysely<unknown>,
  topic: string,
  group: string,
  max: number,
  ackWaitMs: number,
  ordered: boolean,
): Promise<Delivery[]> {
  const batch = randomUUID();
  const orderFilter = ordered
    ? sql`and (d.key is null or not exists (select 1 from bus_deliveries o where o.topic = d.topic
        and o.grp = d.grp and o.key = d.key and o.sequence < d.sequence))`
    : sql``;
  const result = await sql<ClaimedRow>`
    with c as (
      select d.topic, d.grp, d.sequence from bus_deliveries d
      where d.topic = ${topic} and d.grp = ${group} and d.visible_at <= now() ${orderFilter}
      order by d.sequence limit ${max}
      for update skip locked
    )
    update bus_deliveries d set attempt = d.attempt + 1,
      visible_at = now() + make_interval(secs => ${ackWaitMs / 1000}),
      token = ${batch} || ':' || d.sequence
    from c, bus_messages m
    where d.topic = c.topic and d.grp = c.grp and d.sequence = c.sequence and m.sequence = d.sequence
    returning d.sequence, d.attempt, d.token, m.envelope`.execute(db);
  return result.rows
    .map((row) => {
      const message = (typeof row.envelope === 'string' ? JSON.parse(row.envelope) : row.envelope) as BusMessage;
      return { message, topic, sequence: Number(row.sequence), attempt: row.attempt, token: row.token };
    })
    .sort((a, b) => a.sequence - b.sequence);
}
