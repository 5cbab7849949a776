import { type Kysely, sql } from 'kysely';

/**
 * Secrets at rest: the store's data keys (each wrapped by a key-encryption key from the
 * configuration, never kept in clear), and the private signing keys as text, which is what a
 * sealed value is. The rows an older version wrote in clear are sealed at the next start, which
 * has the key; a migration does not (`portico migrate` runs without it).
 */
const STATEMENTS = [
  `create table store_data_keys (
    id text primary key,
    kek_id text not null,
    wrapped text not null,
    created_at timestamptz not null default now(),
    wrapped_at timestamptz not null default now()
  )`,
  'alter table signing_keys alter column private_jwk type text using private_jwk::text',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db);
}
