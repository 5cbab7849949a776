#!/usr/bin/env node
import type { PorticoRole } from '../platform.js';
import { VERSION } from '../version.js';

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
  // Loaded here, not at the top: `portico status` and `--version` need none of the platform.
  return (await import('./start-command.js')).startCommand(target);
}

function isRole(value: string): value is PorticoRole {
  return value === 'all' || value === 'gateway' || value === 'registry';
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`portico: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
