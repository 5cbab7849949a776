import { readFileSync } from 'node:fs';

/** Portico's version, from its package.json (one source of truth for health and the CLI). */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
