// A service of group `work` consuming from a real Portico over HTTP (the SDK's HttpBus and
// createBus). Each handler sleeps `data.ms`. On SIGTERM it drains as `serve()` does: stops taking
// messages, lets the handlers in flight finish within BUS_DRAIN_MS, nacks the rest, exits 0.
// It prints `start <id>` when a handler begins, `acked <id>` once its ack is answered, and `sigterm`.
// Environment: BUS_URL (admin port), BUS_API_KEY, BUS_TOPIC, BUS_CONCURRENCY, BUS_DRAIN_MS.
import { createBus, HttpBus } from '../../packages/sdk/dist/index.js';

const bus = createBus(new HttpBus({ url: process.env.BUS_URL, apiKey: process.env.BUS_API_KEY }), {
  onEvent: (e) => {
    if (e.kind === 'acked') console.log(`acked ${e.messageId}`);
  },
});
await bus.subscribe(
  process.env.BUS_TOPIC,
  async (m) => {
    console.log(`start ${m.id}`);
    await new Promise((resolve) => setTimeout(resolve, m.data.ms));
  },
  { group: 'work', concurrency: Number(process.env.BUS_CONCURRENCY), fetchWaitMs: 500 },
);
process.once('SIGTERM', async () => {
  console.log('sigterm');
  const result = await bus.drain(Number(process.env.BUS_DRAIN_MS));
  console.log(`drained ${JSON.stringify(result)}`);
  process.exit(0);
});
console.log('ready');
