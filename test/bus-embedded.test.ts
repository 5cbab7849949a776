import { afterAll } from 'vitest';
import { EmbeddedBus } from '../packages/portico/src/bus/embedded/embedded-bus.js';
import { busContract } from './bus/contract.js';
import { freshStore, stopPostgres } from './support/identity.js';

const retention = { defaults: {}, topics: { 'retention.count': { maxMessages: 3 } }, dedupWindowMs: 120000 };

for (const engine of ['pglite', 'postgres'] as const) {
  busContract(`embedded (${engine})`, async () => {
    const store = await freshStore(engine);
    const bus = new EmbeddedBus(store.db, { retention, sweepMs: 0, pollMs: 50 });
    return {
      bus,
      sweep: () => bus.sweep(),
      async close() {
        await bus.close();
        await store.close();
      },
    };
  });
}

afterAll(async () => {
  await stopPostgres();
});
