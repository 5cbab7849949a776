/**
 * Keeps the user documentation in step with the code: every error code has its section in
 * docs/errors.md, every environment override and config key is in docs/configuration.md, and the
 * README keeps the two commands a new user starts from.
 */
import { readFileSync } from 'node:fs';
import { ERROR_CODES } from '@portico/sdk';
import { describe, expect, it } from 'vitest';
import { BUS_ERROR_CODES } from '../packages/portico/src/bus/errors.js';
import { BUS_NATS_ERROR_CODES } from '../packages/portico/src/bus/nats/nats-errors.js';
import { ConfigSchema, ENV_OVERRIDES } from '../packages/portico/src/config/schema.js';
import { REGISTRY_KV_ERROR_CODES } from '../packages/portico/src/registry/kv-registry/kv-errors.js';
import { SCHEDULER_ERROR_CODES } from '../packages/portico/src/scheduler/errors.js';
import { STORE_KEY_ERROR_CODES } from '../packages/portico/src/store/secrets/key-errors.js';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

/** Every key path of an object schema, nested ones dotted: `gateway.balancer`. */
function keyPaths(schema: { properties?: Record<string, unknown> }, prefix = ''): string[] {
  return Object.entries(schema.properties ?? {}).flatMap(([name, child]) => {
    const path = `${prefix}${name}`;
    const nested = child as { type?: string; properties?: Record<string, unknown> };
    return nested.type === 'object' && nested.properties ? keyPaths(nested, `${path}.`) : [path];
  });
}

describe('documentation', () => {
  it('has a section in docs/errors.md for every error code', () => {
    const headings = new Set(
      read('docs/errors.md')
        .split('\n')
        .filter((line) => line.startsWith('## '))
        .map((line) => line.slice(3).trim()),
    );
    // The envelope's codes and the start-up codes of the store's keys.
    const codes = [
      ...Object.keys(ERROR_CODES),
      ...Object.keys(STORE_KEY_ERROR_CODES),
      ...Object.keys(BUS_ERROR_CODES),
      ...BUS_NATS_ERROR_CODES,
      ...REGISTRY_KV_ERROR_CODES,
      ...Object.keys(SCHEDULER_ERROR_CODES),
    ];
    const missing = codes.filter((code) => !headings.has(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it('names every PORTICO_* environment override in docs/configuration.md', () => {
    const text = read('docs/configuration.md');
    const missing = Object.keys(ENV_OVERRIDES).filter((name) => !text.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });

  it('describes every config key in docs/configuration.md', () => {
    const text = read('docs/configuration.md');
    const missing = keyPaths(ConfigSchema).filter((path) => !text.includes(`\`${path}\``));
    expect(missing).toEqual([]);
  });

  it('gives the two commands in README.md', () => {
    const readme = read('README.md');
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
  });
});
