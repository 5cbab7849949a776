import type { RetentionOptions } from '@portico/sdk';
import { type Kysely, sql } from 'kysely';

/** Retention settings: a default for every topic and overrides per topic. */
export interface RetentionConfig {
  defaults: RetentionOptions;
  topics: Record<string, RetentionOptions>;
  dedupWindowMs: number;
}

/**
 * One pass of the retention sweeper: per topic, removes the oldest messages past whichever bound
 * (age, count, bytes) they cross, the deliveries whose message is gone, and dedup ids older than
 * the window. Returns how many messages it removed.
 */
export async function sweepOnce(db: Kysely<unknown>, config: RetentionConfig): Promise<number> {
  let removed = 0;
  const topics = await sql<{ topic: string }>`select distinct topic from bus_messages`.execute(db);
  for (const { topic } of topics.rows) {
    const r = { ...config.defaults, ...config.topics[topic] };
    const age = r.maxAgeMs ?? null;
    const count = r.maxMessages ?? null;
    const bytes = r.maxBytes ?? null;
    if (age === null && count === null && bytes === null) continue;
    const result = await sql`
      with ranked as (
        select sequence, published_at,
          row_number() over (order by sequence desc) as n,
          sum(bytes) over (order by sequence desc) as total
        from bus_messages where topic = ${topic}
      )
      delete from bus_messages m using ranked r where m.sequence = r.sequence and (
        (${age}::bigint is not null and r.published_at < now() - make_interval(secs => ${(age ?? 0) / 1000}))
        or (${count}::bigint is not null and r.n > ${count})
        or (${bytes}::bigint is not null and r.total > ${bytes}))`.execute(db);
    removed += Number(result.numAffectedRows ?? 0);
  }
  if (removed > 0) {
    await sql`delete from bus_deliveries d where not exists
      (select 1 from bus_messages m where m.sequence = d.sequence)`.execute(db);
  }
  await sql`delete from bus_dedup where at < now() - make_interval(secs => ${config.dedupWindowMs / 1000})`.execute(db);
  return removed;
}
