import type { PublishInput, PublishReceipt } from '@portico/sdk';
import { type Kysely, sql } from 'kysely';
import { completeEnvelope } from '../envelope.js';
import { BusError } from '../errors.js';
import { checkTopic } from '../topic.js';

/** The NOTIFY channel of the embedded bus; the payload is the topic. */
export const BUS_CHANNEL = 'portico_bus';

/**
 * Stores one message and returns once it is committed. The advisory lock on the topic orders
 * sequence allocation with commit, so a group reading "everything after position N" can never
 * skip a sequence that a slower transaction commits later. The lock, the dedup row and the
 * message are one statement: a duplicate id writes neither. With `notify` (PostgreSQL), the same
 * statement sends `pg_notify(BUS_CHANNEL, topic)` for the stored row only, which PostgreSQL
 * delivers at commit: a listener in another process never hears of a message it cannot read yet.
 */
export async function publishMessage<T>(
  db: Kysely<unknown>,
  input: PublishInput<T>,
  notify = false,
): Promise<PublishReceipt> {
  checkTopic(input.type);
  if (input.delayMs !== undefined && !(Number.isFinite(input.delayMs) && input.delayMs >= 0)) {
    throw new BusError('BUS_INPUT_INVALID', 'delayMs must be a number >= 0');
  }
  const message = completeEnvelope(input);
  const json = JSON.stringify(message);
  const delay = Math.round(input.delayMs ?? 0);
  // One statement, so one round-trip: it is its own transaction, and the lock CTE is scanned
  // before the dedup insert, so the lock is held from before the sequence is drawn until commit.
  const inserted = await sql<{ sequence: string }>`
    with l as (select pg_advisory_xact_lock(hashtext(${`bus:${message.type}`})) as locked),
    d as (
      insert into bus_dedup (topic, id) select ${message.type}, ${message.id} from l
      on conflict do nothing returning id
    )
    insert into bus_messages (topic, id, tenant_id, key, envelope, bytes, visible_at)
    select ${message.type}, ${message.id}, ${message.tenantId}, ${message.key ?? null}, ${json}::jsonb,
      ${Buffer.byteLength(json)}, now() + make_interval(secs => ${delay / 1000})
    from d
    returning sequence${notify ? sql`, pg_notify(${BUS_CHANNEL}, topic)::text as notified` : sql``}`.execute(db);
  const row = inserted.rows[0];
  if (row) return { id: message.id, sequence: Number(row.sequence), duplicate: false };
  const existing = await sql<{ sequence: string }>`
    select sequence from bus_messages where topic = ${message.type} and id = ${message.id}
    order by sequence desc limit 1`.execute(db);
  return { id: message.id, sequence: Number(existing.rows[0]?.sequence ?? 0), duplicate: true };
}
