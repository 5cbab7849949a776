import { sql } from 'kysely';
import type { Store } from '../store.js';
import { openDataKeys, wrappingKeyIds } from './data-keys.js';
import { type KeyOrigin, resolveKeys, type StoreKeySettings } from './key-source.js';
import { sealPlaintext } from './sealed-columns.js';
import { SecretBox } from './secret-box.js';

/** An opened box and what opening it did, for the start-up log. */
export interface OpenedSecretBox {
  box: SecretBox;
  origin: KeyOrigin;
  /** The key file in use, if the keys came from one. */
  keyFile?: string;
  /** Id of the key-encryption key that wraps the store's data key now. */
  keyId: string;
  /** Values stored in clear by an older version and sealed now. */
  sealed: number;
  /** Key ids the data key was re-wrapped away from (a rotation's second step). */
  rewrappedFrom: string[];
  notices: string[];
}

/**
 * Opens the store's secrets: finds the key-encryption keys (settings, key file, or the embedded
 * default), unwraps the data keys with them (`STORE_KEY_UNKNOWN` / `STORE_KEY_WRONG` when they
 * do not fit), re-wraps data keys under the first key, and seals values an older version left
 * in clear. One transaction holding a lock on `store_data_keys`, so processes starting together
 * on one PostgreSQL store make one data key and seal each value once.
 *
 * @example
 * ```ts
 * const { box } = await openSecretBox(store, { encryptionKeys: process.env.PORTICO_STORE_KEYS ?? '', encryptionKeyFile: '', dataDir: '.portico' });
 * ```
 */
export async function openSecretBox(store: Store, settings: StoreKeySettings): Promise<OpenedSecretBox> {
  return store.db.transaction().execute(async (trx) => {
    await sql`lock table store_data_keys in exclusive mode`.execute(trx);
    const keys = resolveKeys(store, settings, await wrappingKeyIds(trx));
    const dataKeys = await openDataKeys(trx, keys.ring);
    const box = new SecretBox(dataKeys.keys, dataKeys.activeId);
    const sealed = await sealPlaintext(trx, box);
    return {
      box,
      origin: keys.origin,
      ...(keys.file ? { keyFile: keys.file } : {}),
      keyId: keys.ring.primary.id,
      sealed,
      rewrappedFrom: dataKeys.rewrappedFrom,
      notices: keys.notices,
    };
  });
}
