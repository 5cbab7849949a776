/**
 * The RegistryPort contract (test/registry/contract.ts) against every adapter that holds the
 * registry: memory, and NATS JetStream KV on a real nats-server (each case on fresh buckets).
 */
import { afterAll, beforeAll } from 'vitest';
import { createLogger } from '../packages/portico/src/logger.js';
import { connectKvRegistry } from '../packages/portico/src/registry/kv-registry/index.js';
import { MemoryRegistry } from '../packages/portico/src/registry/memory-registry.js';
import { registryContract } from './registry/contract.js';
import { type NatsServer, startNats } from './support/nats.js';

let nats: NatsServer;
let buckets = 0;

beforeAll(async () => {
  nats = await startNats();
});

afterAll(async () => {
  await nats?.dispose();
});

registryContract('memory', async (ttlSeconds) => {
  const registry = new MemoryRegistry({ ttlSeconds, watchHistory: 100 });
  return { registry, epoch: () => registry.epoch, close: () => registry.close() };
});

registryContract('nats (JetStream KV)', async (ttlSeconds) => {
  const registry = await connectKvRegistry({
    url: nats.url,
    bucket: `contract-${++buckets}`,
    ttlSeconds,
    watchHistory: 100,
    leaderLeaseSeconds: 2,
    sweepMs: 100,
    logger: createLogger('warn'),
  });
  return { registry, epoch: () => registry.epoch, close: () => registry.close() };
});
