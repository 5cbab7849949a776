import type { DeadLetter, DeadLetterScope } from '@portico/sdk';
import { type Kysely, sql } from 'kysely';
import { deadLettersWhere, redeliverWhere } from './admin-queries.js';

/** The SQL condition (over `bus_dead_letters x`) of a scope; the tenant is the one in the stored envelope. */
function scopeWhere(scope: DeadLetterScope) {
  const group = scope.group ?? null;
  const tenant = scope.tenant ?? null;
  const id = scope.id ?? null;
  return sql`x.topic = ${scope.topic}
    and (${group}::text is null or x.grp = ${group})
    and (${tenant}::text is null or x.envelope->>'tenantId' = ${tenant})
    and (${id}::text is null or x.id = ${id})`;
}

/** Dead letters of a scope, oldest first, paged by `after`. */
export function scopedDeadLetters(
  db: Kysely<unknown>,
  scope: DeadLetterScope & { limit: number; after?: string },
): Promise<DeadLetter[]> {
  return deadLettersWhere(db, scopeWhere(scope), scope);
}

/** Redelivers the dead letters of a scope; returns how many went back. */
export function redeliverScope(db: Kysely<unknown>, scope: DeadLetterScope): Promise<number> {
  return redeliverWhere(db, scopeWhere(scope));
}

/** Removes the dead letters of a scope; returns how many. */
export async function removeScope(db: Kysely<unknown>, scope: DeadLetterScope): Promise<number> {
  const result = await sql`delete from bus_dead_letters x where ${scopeWhere(scope)}`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** Removes every message of a topic and the deliveries that pointed at them; groups keep their position. */
export async function purgeTopicMessages(db: Kysely<unknown>, topic: string): Promise<number> {
  return db.transaction().execute(async (tx) => {
    const result = await sql`delete from bus_messages where topic = ${topic}`.execute(tx);
    await sql`delete from bus_deliveries where topic = ${topic}`.execute(tx);
    return Number(result.numAffectedRows ?? 0);
  });
}
