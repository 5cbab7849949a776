import { type Kysely, sql } from 'kysely';
import type { Database } from '../database.js';
import { SecretBox, sealContext } from './secret-box.js';

/** A column that holds secrets: its table, the column, the row's id column, optionally which rows. */
export interface SealedColumn {
  readonly table: string;
  readonly column: string;
  readonly id: string;
  readonly only?: readonly string[];
}

/**
 * Every secret the store holds that is read back, so must be encrypted rather than hashed: the
 * private halves of the signing keys and the generated secret-hash key. (Passwords, refresh
 * tokens, API keys and client secrets are one-way hashes and need no encryption.) A new secret
 * column is added here, so a store written before it gets sealed at the next start.
 */
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'signing_keys', column: 'private_jwk', id: 'kid' },
  { table: 'identity_settings', column: 'value', id: 'key', only: ['secret-hash-key'] },
];

/**
 * Seals what an older version stored in clear, one conditional update per row so a value that
 * changed meanwhile is left alone. Returns how many values it sealed.
 *
 * @example
 * ```ts
 * const sealed = await sealPlaintext(trx, box); // 0 once the store is encrypted
 * ```
 */
export async function sealPlaintext(db: Kysely<Database>, box: SecretBox): Promise<number> {
  let sealed = 0;
  for (const { table, column, id, only } of SEALED_COLUMNS) {
    // Names come from the list above, never from input.
    const [t, c, i] = [sql.table(table), sql.ref(column), sql.ref(id)];
    const which = only ? sql` and ${i} in (${sql.join(only)})` : sql``;
    const { rows } = await sql<{ id: string; value: string }>`
      select ${i} as id, ${c} as value from ${t} where ${c} not like 'enc:%'${which}`.execute(db);
    for (const row of rows) {
      if (SecretBox.isSealed(row.value)) continue;
      const value = box.seal(row.value, sealContext(table, column, row.id));
      const result = await sql`update ${t} set ${c} = ${value} where ${i} = ${row.id} and ${c} = ${row.value}`.execute(
        db,
      );
      sealed += Number(result.numAffectedRows ?? 0n);
    }
  }
  return sealed;
}
