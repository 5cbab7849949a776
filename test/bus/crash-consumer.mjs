// A member of group `work` on a PostgreSQL-backed embedded bus that fetches one batch, prints
// its message ids, and then never acks: the test SIGKILLs it mid-batch.
// Environment: BUS_DATABASE_URL, BUS_TOPIC, BUS_BATCH, BUS_ACK_WAIT_MS.
import { EmbeddedBus } from '../../packages/portico/dist/bus/embedded/embedded-bus.js';
import { openStore } from '../../packages/portico/dist/store/index.js';

const store = await openStore({ url: process.env.BUS_DATABASE_URL, dataDir: '', poolSize: 2 });
const bus = new EmbeddedBus(store.db, {
  retention: { defaults: {}, topics: {}, dedupWindowMs: 120000 },
  sweepMs: 0,
  pollMs: 50,
});
const consumer = await bus.consumer(process.env.BUS_TOPIC, {
  group: 'work',
  ackWaitMs: Number(process.env.BUS_ACK_WAIT_MS),
});
const batch = await consumer.fetch(Number(process.env.BUS_BATCH), 5000);
console.log(`fetched ${JSON.stringify(batch.map((d) => d.message.id))}`);
// Hold the batch as a busy handler would, until the SIGKILL.
setInterval(() => undefined, 1000);
