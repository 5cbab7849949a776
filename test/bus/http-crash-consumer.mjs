// A member of group `work` that consumes from a real Portico over HTTP (the SDK's HttpBus),
// fetches one batch, prints its message ids, and then never acks: the test SIGKILLs it mid-batch.
// Environment: BUS_URL (admin port), BUS_API_KEY, BUS_TOPIC, BUS_BATCH, BUS_ACK_WAIT_MS.
import { HttpBus } from '../../packages/sdk/dist/index.js';

const bus = new HttpBus({ url: process.env.BUS_URL, apiKey: process.env.BUS_API_KEY });
const consumer = await bus.consumer(process.env.BUS_TOPIC, {
  group: 'work',
  ackWaitMs: Number(process.env.BUS_ACK_WAIT_MS),
});
const batch = await consumer.fetch(Number(process.env.BUS_BATCH), 5000);
console.log(`fetched ${JSON.stringify(batch.map((d) => d.message.id))}`);
// Hold the batch as a busy handler would, until the SIGKILL.
setInterval(() => undefined, 1000);
