/**
 * `portico`: start the platform from code, or read its configuration.
 *
 * @example
 * ```ts
 * import { loadConfig, startPortico } from 'portico';
 * const portico = await startPortico(loadConfig({ env: { PORTICO_PUBLIC_PORT: '0' } }));
 * await portico.close();
 * ```
 */
export { ConfigError, type ConfigSources, loadConfig } from './config/load.js';
export type { PorticoConfig } from './config/schema.js';
export { ListenError, type PorticoRole, type RunningPortico, type StartOptions, startPortico } from './platform.js';
export { STORE_KEY_ERROR_CODES, StoreKeyError, type StoreKeyErrorCode } from './store/secrets/key-errors.js';
export { VERSION } from './version.js';
