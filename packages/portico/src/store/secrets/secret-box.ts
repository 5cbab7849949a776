import { gcmOpen, gcmSeal } from './aes-gcm.js';
import { StoreKeyError } from './key-errors.js';

const PREFIX = 'enc:v1:';

/**
 * Where a sealed value lives, as additional data of its encryption: `table.column:row id`. A
 * value copied into another row (say, one signing key's private half over another's) no longer
 * opens.
 *
 * @example
 * ```ts
 * sealContext('signing_keys', 'private_jwk', kid); // 'signing_keys.private_jwk:<kid>'
 * ```
 */
export function sealContext(table: string, column: string, id: string): string {
  return `${table}.${column}:${id}`;
}

/**
 * Encrypts the secrets the store keeps (private signing keys, the secret-hash key) with the
 * store's data keys, AES-256-GCM. A sealed value is text: `enc:v1:<data key id>:<base64url of
 * iv | ciphertext | tag>`, so it fits the column the clear value had and tells itself apart from
 * a value written before encryption.
 *
 * @example
 * ```ts
 * const sealed = box.seal(JSON.stringify(privateJwk), sealContext('signing_keys', 'private_jwk', kid));
 * JSON.parse(box.open(sealed, sealContext('signing_keys', 'private_jwk', kid)));
 * ```
 */
export class SecretBox {
  readonly #dataKeys: ReadonlyMap<string, Buffer>;
  readonly #activeId: string;

  constructor(dataKeys: ReadonlyMap<string, Buffer>, activeId: string) {
    if (!dataKeys.has(activeId)) throw new Error(`data key ${activeId} is not among the box's keys`);
    this.#dataKeys = dataKeys;
    this.#activeId = activeId;
  }

  /** Tells a sealed value from one stored in clear before encryption came. */
  static isSealed(value: string): boolean {
    return value.startsWith(PREFIX);
  }

  seal(plaintext: string, context: string): string {
    const key = this.#dataKeys.get(this.#activeId) as Buffer;
    const sealed = gcmSeal(key, Buffer.from(plaintext, 'utf8'), aad(this.#activeId, context));
    return `${PREFIX}${this.#activeId}:${sealed.toString('base64url')}`;
  }

  /** The clear text; `STORE_SECRET_UNREADABLE` when the value was altered, moved, or names no known data key. */
  open(value: string, context: string): string {
    const rest = value.startsWith(PREFIX) ? value.slice(PREFIX.length) : undefined;
    const colon = rest?.indexOf(':') ?? -1;
    const id = rest?.slice(0, colon);
    const key = id === undefined ? undefined : this.#dataKeys.get(id);
    if (rest === undefined || colon === -1 || id === undefined || key === undefined) {
      throw unreadable(context, rest === undefined ? 'it is not sealed' : `it names an unknown data key`);
    }
    try {
      return gcmOpen(key, Buffer.from(rest.slice(colon + 1), 'base64url'), aad(id, context)).toString('utf8');
    } catch (cause) {
      throw unreadable(context, 'it does not decrypt (altered, or copied from another row)', cause);
    }
  }
}

const aad = (dataKeyId: string, context: string) => `portico:v1:${dataKeyId}:${context}`;

function unreadable(context: string, why: string, cause?: unknown): StoreKeyError {
  return new StoreKeyError('STORE_SECRET_UNREADABLE', `the store's ${context} cannot be read: ${why}`, { cause });
}
