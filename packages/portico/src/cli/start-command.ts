import { RouteConflictError } from '../gateway/declared-routes/declared-route-set.js';
import { createLogger } from '../logger.js';
import { ListenError, type PorticoRole, startPortico } from '../platform.js';
import { RegistryKvError } from '../registry/kv-registry/kv-errors.js';
import { StoreKeyError } from '../store/secrets/key-errors.js';
import { StoreError } from '../store/store.js';
import { CONFIG_ERROR_EXIT, readConfig } from './read-config.js';

/**
 * `portico start [role]`: loads the configuration, starts the process and stops it gracefully
 * on SIGTERM or SIGINT (a second signal stops at once). Resolves with the exit code.
 *
 * @example
 * ```ts
 * process.exit(await startCommand('gateway'));
 * ```
 */
export async function startCommand(role: PorticoRole): Promise<number> {
  const config = readConfig();
  if (!config) return CONFIG_ERROR_EXIT;
  const logger = createLogger(config.logLevel);
  let portico: Awaited<ReturnType<typeof startPortico>>;
  try {
    portico = await startPortico(config, { role, logger });
  } catch (error) {
    // A missing or wrong key is a setting to change, like a configuration error: a restart cannot help.
    if (error instanceof StoreKeyError) {
      process.stderr.write(`portico: ${error.message}\n`);
      return CONFIG_ERROR_EXIT;
    }
    // NATS away at start: a restart once it is back can help, so not the configuration's exit code.
    if (error instanceof RegistryKvError) {
      process.stderr.write(`portico: ${error.code}: ${error.message}\n`);
      return 1;
    }
    if (error instanceof ListenError || error instanceof StoreError || error instanceof RouteConflictError) {
      process.stderr.write(`portico: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'shutting down');
      // A second signal means "now": skip the grace period.
      process.once(signal, () => resolve(130));
      portico.close().then(
        () => resolve(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
