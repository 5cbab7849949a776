export { connectKvRegistry, type KvRegistryOptions } from './connect-kv-registry.js';
export { REGISTRY_KV_ERROR_CODES, RegistryKvError } from './kv-errors.js';
export { KvRegistry } from './kv-registry.js';
