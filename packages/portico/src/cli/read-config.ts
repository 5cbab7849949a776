import { ConfigError, loadConfig } from '../config/load.js';
import type { PorticoConfig } from '../config/schema.js';

/** The exit code of every command whose configuration is wrong. */
export const CONFIG_ERROR_EXIT = 2;

/**
 * Loads the configuration for a CLI command; a bad one is reported on stderr as one line and
 * comes back as `undefined`, so the command exits with {@link CONFIG_ERROR_EXIT}.
 *
 * @example
 * ```ts
 * const config = readConfig();
 * if (!config) return CONFIG_ERROR_EXIT;
 * ```
 */
export function readConfig(): PorticoConfig | undefined {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`portico: configuration error: ${error.message}\n`);
      return undefined;
    }
    throw error;
  }
}
