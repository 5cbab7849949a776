import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../store.js';
import { KekRing, newKekEntry } from './kek-ring.js';
import { StoreKeyError } from './key-errors.js';

/** The settings that name the key-encryption keys (`store.encryptionKeys`, `store.encryptionKeyFile`). */
export interface StoreKeySettings {
  encryptionKeys: string;
  encryptionKeyFile: string;
  /** Where the embedded store's generated key file goes: `<dataDir>/store.key`. */
  dataDir: string;
}

/**
 * Where the keys came from: a setting, a file a setting names, the key file beside the embedded
 * store (found or generated now), or a throwaway key for a throwaway (`memory:`) store.
 */
export type KeyOrigin = 'setting' | 'file' | 'data-dir-file' | 'generated' | 'ephemeral';

export interface ResolvedKeys {
  ring: KekRing;
  origin: KeyOrigin;
  /** The key file read or written, when there is one. */
  file?: string;
  /** Things an operator should hear about (a loose file mode), for the start-up log. */
  notices: string[];
}

export const KEYS_SETTING = 'PORTICO_STORE_KEYS (store.encryptionKeys)';
export const KEY_FILE_SETTING = 'PORTICO_STORE_KEY_FILE (store.encryptionKeyFile)';
/** The embedded store's key file, beside its `store/` directory. */
export const DATA_DIR_KEY_FILE = 'store.key';

/**
 * Finds the key-encryption keys for `store`. A configured list or file wins. Without one, an
 * embedded store on disk uses (or, while it holds nothing encrypted yet, generates) the key file
 * beside it, so `npm start` needs no setting; a PostgreSQL store refuses to start, because its
 * processes must share one key and a database copy must not carry it.
 *
 * @example
 * ```ts
 * const { ring, origin } = resolveKeys(store, { encryptionKeys: '', encryptionKeyFile: '', dataDir: '.portico' }, []);
 * ```
 */
export function resolveKeys(
  store: Pick<Store, 'kind' | 'location'>,
  settings: StoreKeySettings,
  /** Ids of the keys the store's data keys are wrapped with now (empty: nothing encrypted yet). */
  wrappedBy: readonly string[],
): ResolvedKeys {
  if (settings.encryptionKeys !== '' && settings.encryptionKeyFile !== '') {
    throw new StoreKeyError('STORE_KEY_INVALID', `set ${KEYS_SETTING} or ${KEY_FILE_SETTING}, not both`);
  }
  if (settings.encryptionKeys !== '') {
    return { ring: KekRing.parse(settings.encryptionKeys, KEYS_SETTING), origin: 'setting', notices: [] };
  }
  if (settings.encryptionKeyFile !== '') return { ...readKeyFile(settings.encryptionKeyFile), origin: 'file' };
  if (store.kind === 'pglite' && store.location === 'memory') {
    // The data dies with the process, and so may its key.
    return { ring: KekRing.parse(newKekEntry(), 'a throwaway key'), origin: 'ephemeral', notices: [] };
  }
  const known = wrappedBy.map((id) => `"${id}"`).join(', ');
  if (store.kind === 'postgres') {
    throw new StoreKeyError(
      'STORE_KEY_MISSING',
      wrappedBy.length > 0
        ? `the store at ${store.location} is encrypted with key ${known}, and no key is configured; set ${KEYS_SETTING} or ${KEY_FILE_SETTING}`
        : `a PostgreSQL store keeps its signing keys encrypted, with a key every process of the deployment shares; set ${KEYS_SETTING} to <id>:<base64 of 32 bytes> (e.g. k1:$(openssl rand -base64 32)) or ${KEY_FILE_SETTING}`,
    );
  }
  const file = join(settings.dataDir, DATA_DIR_KEY_FILE);
  const found = readKeyFile(file, true);
  if (found) return { ...found, origin: 'data-dir-file' };
  if (wrappedBy.length > 0) {
    throw new StoreKeyError(
      'STORE_KEY_MISSING',
      `the store in ${store.location} is encrypted with key ${known}, but its key file ${file} is missing; restore the file, or set ${KEYS_SETTING} or ${KEY_FILE_SETTING}`,
    );
  }
  return { ...generateKeyFile(file), origin: 'generated' };
}

function readKeyFile(file: string, optional: true): { ring: KekRing; file: string; notices: string[] } | undefined;
function readKeyFile(file: string): { ring: KekRing; file: string; notices: string[] };
function readKeyFile(file: string, optional = false) {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && optional) return undefined;
    if (code === 'ENOENT') {
      throw new StoreKeyError('STORE_KEY_MISSING', `${KEY_FILE_SETTING} names ${file}, which does not exist`, {
        cause,
      });
    }
    throw new StoreKeyError('STORE_KEY_INVALID', `cannot read the key file ${file} (${code})`, { cause });
  }
  return { ring: KekRing.parse(text, `the key file ${file}`), file, notices: looseMode(file) };
}

/** Like ssh with a private key, say so when others may read the file (but still start: a mounted secret may be 0644). */
function looseMode(file: string): string[] {
  if (process.platform === 'win32') return [];
  const mode = statSync(file).mode & 0o777;
  return (mode & 0o077) === 0
    ? []
    : [`the key file ${file} may be read by other users (mode ${mode.toString(8)}); chmod 600 it`];
}

function generateKeyFile(file: string): { ring: KekRing; file: string; notices: string[] } {
  const text = [
    '# Portico: the key-encryption key of the embedded store beside this file (docs/identity.md, "Keys at rest").',
    "# Without it the store's signing keys cannot be read: back it up, apart from the store.",
    newKekEntry(),
    '',
  ].join('\n');
  try {
    // 'wx': never overwrite a key; 0600 whatever the umask allows others.
    writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST') return readKeyFile(file);
    throw new StoreKeyError(
      'STORE_KEY_INVALID',
      `cannot write the key file ${file} (${(cause as NodeJS.ErrnoException).code})`,
      {
        cause,
      },
    );
  }
  return { ring: KekRing.parse(text, `the key file ${file}`), file, notices: [] };
}
