export { KekRing, type KeyEncryptionKey, newKekEntry } from './kek-ring.js';
export { STORE_KEY_ERROR_CODES, StoreKeyError, type StoreKeyErrorCode } from './key-errors.js';
export { DATA_DIR_KEY_FILE, type KeyOrigin, type StoreKeySettings } from './key-source.js';
export { type OpenedSecretBox, openSecretBox } from './open-secret-box.js';
export { SEALED_COLUMNS } from './sealed-columns.js';
export { SecretBox, sealContext } from './secret-box.js';
