import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { gcmOpen, gcmSeal } from './aes-gcm.js';
import type { KekRing, KeyEncryptionKey } from './kek-ring.js';
import { StoreKeyError } from './key-errors.js';

/** The store's data keys in clear (memory only), and the one that seals new values. */
export interface DataKeys {
  keys: Map<string, Buffer>;
  activeId: string;
  /** True when the store had none and this call made the first. */
  created: boolean;
  /** Ids of the key-encryption keys data keys were re-wrapped away from. */
  rewrappedFrom: string[];
}

/** Ids of the key-encryption keys the store's data keys are wrapped with now. */
export async function wrappingKeyIds(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom('store_data_keys').select('kek_id').execute();
  return [...new Set(rows.map((row) => row.kek_id))];
}

/**
 * Unwraps every data key of the store with `ring`, re-wraps those not wrapped by its primary
 * key (the step of a KEK rotation that makes the old key removable), and makes the first data key
 * of a store that has none. Run inside the transaction that locks `store_data_keys`. Only the
 * small data keys are rewritten: the values they seal stay as they are.
 *
 * @example
 * ```ts
 * const { keys, activeId } = await openDataKeys(trx, KekRing.parse(process.env.PORTICO_STORE_KEYS!, 'env'));
 * ```
 */
export async function openDataKeys(db: Kysely<Database>, ring: KekRing): Promise<DataKeys> {
  const rows = await db.selectFrom('store_data_keys').selectAll().orderBy('created_at').orderBy('id').execute();
  const keys = new Map<string, Buffer>();
  const rewrappedFrom = new Set<string>();
  for (const row of rows) {
    const kek = ring.get(row.kek_id);
    if (!kek) {
      throw new StoreKeyError(
        'STORE_KEY_UNKNOWN',
        `the store's data key is wrapped with key "${row.kek_id}", which is not among the keys of ${ring.source} (${ring.ids().join(', ')}); add it back (after the new key, during a rotation)`,
      );
    }
    let key: Buffer;
    try {
      key = gcmOpen(kek.key, Buffer.from(row.wrapped, 'base64url'), wrapContext(row.id));
    } catch (cause) {
      throw new StoreKeyError(
        'STORE_KEY_WRONG',
        `key "${kek.id}" of ${ring.source} does not open the store's data key: it has the right id but is not the key the store was encrypted with`,
        { cause },
      );
    }
    keys.set(row.id, key);
    if (kek.id !== ring.primary.id) {
      await db
        .updateTable('store_data_keys')
        .set({ kek_id: ring.primary.id, wrapped: wrap(ring.primary, row.id, key), wrapped_at: new Date() })
        .where('id', '=', row.id)
        .execute();
      rewrappedFrom.add(kek.id);
    }
  }
  const newest = rows.at(-1);
  if (newest) return { keys, activeId: newest.id, created: false, rewrappedFrom: [...rewrappedFrom] };
  const id = randomBytes(9).toString('base64url');
  const key = randomBytes(32);
  await db
    .insertInto('store_data_keys')
    .values({ id, kek_id: ring.primary.id, wrapped: wrap(ring.primary, id, key) })
    .execute();
  keys.set(id, key);
  return { keys, activeId: id, created: true, rewrappedFrom: [] };
}

const wrapContext = (dataKeyId: string) => `portico-data-key:v1:${dataKeyId}`;

function wrap(kek: KeyEncryptionKey, dataKeyId: string, key: Buffer): string {
  return gcmSeal(kek.key, key, wrapContext(dataKeyId)).toString('base64url');
}
