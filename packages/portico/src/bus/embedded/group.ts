import type { GroupOptions, StartPosition } from '@portico/sdk';
import { type Kysely, sql } from 'kysely';
import { BusError } from '../errors.js';

/** How many messages one fetch moves from the topic into a group's deliveries at most. */
const ADVANCE_BATCH = 1000;

/**
 * Creates the group when new, at its start position; an existing group keeps its position (the
 * contract: `start` only matters the first time).
 */
export async function ensureGroup(db: Kysely<unknown>, topic: string, options: GroupOptions): Promise<void> {
  if (typeof options.group !== 'string' || !/^[A-Za-z0-9_.-]{1,200}$/.test(options.group)) {
    throw new BusError('BUS_INPUT_INVALID', 'group must be 1-200 characters of [A-Za-z0-9_.-]');
  }
  const start = startSql(topic, options.start ?? { kind: 'new' });
  await sql`
    insert into bus_groups (topic, name, position, settings)
    values (${topic}, ${options.group}, (${start}), ${JSON.stringify(options)}::jsonb)
    on conflict (topic, name) do update set settings = excluded.settings`.execute(db);
}

function startSql(topic: string, start: StartPosition) {
  switch (start.kind) {
    case 'all':
      return sql`0`;
    case 'sequence':
      return sql`${Math.max(0, Math.floor(start.sequence) - 1)}::bigint`;
    case 'time':
      if (Number.isNaN(Date.parse(start.time))) throw new BusError('BUS_INPUT_INVALID', 'start.time must be ISO 8601');
      return sql`coalesce((select max(sequence) from bus_messages where topic = ${topic}
        and published_at < ${new Date(start.time)}), 0)`;
    default:
      return sql`coalesce((select max(sequence) from bus_messages where topic = ${topic}), 0)`;
  }
}

/**
 * Moves the messages after the group's position into its deliveries (one statement; the row lock
 * on the group keeps two members from taking in the same range twice). Messages of tenants the
 * group does not take are skipped: the position still moves past them.
 */
export async function advanceGroup(
  db: Kysely<unknown>,
  topic: string,
  group: string,
  tenants: readonly string[] | undefined,
): Promise<void> {
  const tenantFilter = tenants === undefined ? sql`true` : sql`m.tenant_id = any(${sql.val([...tenants])}::text[])`;
  await sql`
    with g as (
      select position from bus_groups where topic = ${topic} and name = ${group} for update
    ), m as (
      select m.sequence, m.key, m.visible_at, m.tenant_id from bus_messages m, g
      where m.topic = ${topic} and m.sequence > g.position
      order by m.sequence limit ${ADVANCE_BATCH}
    ), ins as (
      insert into bus_deliveries (topic, grp, sequence, key, visible_at)
      select ${topic}, ${group}, m.sequence, m.key, m.visible_at from m where ${tenantFilter}
      on conflict do nothing
    )
    update bus_groups set position = (select max(sequence) from m)
    where topic = ${topic} and name = ${group} and exists (select 1 from m)`.execute(db);
}
