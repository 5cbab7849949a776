#!/usr/bin/env node
import { RouteConflictError } from '../gateway/declared-routes/declared-route-set.js';
import { createLogger } from '../logger.js';
import { ListenError, type PorticoRole, startPortico } from '../platform.js';
import { StoreKeyError } from '../store/secrets/key-errors.js';
import { StoreError } from '../store/store.js';
import { VERSION } from '../version.js';
import { CONFIG_ERROR_EXIT, readConfig } from './read-config.js';

const USAGE = `portico ${VERSION}

Usage:
  portico start [all]     run gateway, registry and admin API in one process
  portico start gateway   run only the gateway, watching the registry at PORTICO_REGISTRY_URL
  portico start registry  run only the registry (admin port)
  portico migrate         bring the store (PGlite, or PORTICO_DATABASE_URL) to the latest schema
  portico status [--url URL] [--json]
                          how the process at an admin URL (or PORTICO_ADMIN_URL) sees the cluster
  portico --version       print the version
  portico help            this text

Configuration: ./portico.yaml (or PORTICO_CONFIG), overridden by PORTICO_* variables;
see docs/configuration.md.`;

async function main(argv: string[]): Promise<number> {
  const [command, target = 'all'] = argv;
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 1 : 0;
  }
  // Loaded on demand: the store's modules have no place in a gateway's memory.
  if (command === 'migrate' && argv.length === 1) return (await import('./migrate-command.js')).migrateCommand();
  if (command === 'status') return (await import('./status-command.js')).statusCommand(argv.slice(1));
  if (command !== 'start' || !isRole(target)) {
    process.stderr.write(`portico: unknown command "${argv.join(' ')}"\n\n${USAGE}\n`);
    return 1;
  }
  return start(target);
}

function isRole(value: string): value is PorticoRole {
  return value === 'all' || value === 'gateway' || value === 'registry';
}

async function start(role: PorticoRole): Promise<number> {
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

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`portico: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
