import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';

/**
 * A failed delivery: back to the group after `delayMs`, unless it has had `maxDeliver`
 * deliveries, in which case it moves to the dead-letter stream with `error`. Returns what happened.
 */
export async function nackDelivery(
  db: Kysely<unknown>,
  token: string,
  options: { delayMs: (attempt: number) => number; maxDeliver: number; error: string },
): Promise<'retry' | 'dead' | 'stale'> {
  return db.transaction().execute(async (tx) => {
    const found = await sql<{ attempt: number }>`
      select attempt from bus_deliveries where token = ${token} for update`.execute(tx);
    const row = found.rows[0];
    if (!row) return 'stale';
    if (row.attempt >= options.maxDeliver) {
      await deadLetter(tx, token, options.error);
      return 'dead';
    }
    await sql`update bus_deliveries set token = null, last_error = ${options.error},
      visible_at = now() + make_interval(secs => ${options.delayMs(row.attempt) / 1000})
      where token = ${token}`.execute(tx);
    return 'retry';
  });
}

/** Moves a delivery to the dead-letter stream with the error of its last attempt. */
export async function deadLetter(db: Kysely<unknown>, token: string, error: string): Promise<boolean> {
  const result = await sql`
    with d as (delete from bus_deliveries where token = ${token} returning topic, grp, sequence, attempt)
    insert into bus_dead_letters (id, topic, grp, sequence, envelope, attempts, error)
    select ${randomUUID()}, d.topic, d.grp, d.sequence, m.envelope, d.attempt, ${error}
    from d join bus_messages m on m.sequence = d.sequence`.execute(db);
  return Number(result.numAffectedRows ?? 0) > 0;
}

/** Gives deliveries a closing member still holds back to its group at once. */
export async function releaseDeliveries(db: Kysely<unknown>, tokens: readonly string[]): Promise<void> {
  if (tokens.length === 0) return;
  await sql`update bus_deliveries set token = null, visible_at = now()
    where token = any(${sql.val([...tokens])}::text[])`.execute(db);
}
