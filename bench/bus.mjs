#!/usr/bin/env node
/**
 * Bus throughput and end-to-end latency, side by side on one nats-server: the Portico NATS
 * adapter and raw @nats-io/jetstream with the same settings (stream per topic, file storage,
 * durable pull consumer, explicit acks awaited). Throughput: publish N (awaited PubAcks, 64 in
 * flight) then consume+ack N with one group member. Latency: publish one → the consumer's ack
 * done, sequentially. Needs `npx tsc -b` first (uses dist/). Embedded and pg-boss: not yet here.
 *   node bench/bus.mjs [N]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectNatsBus } from '../packages/portico/dist/bus/nats/nats-bus.js';

// The NATS client is a dependency of packages/portico, resolved from there.
const require = createRequire(new URL('../packages/portico/package.json', import.meta.url));
const { AckPolicy, jetstream, jetstreamManager } = require('@nats-io/jetstream');
const { connect } = require('@nats-io/transport-node');

const N = Number(process.argv[2] ?? 5000);
const LAT = 300;
const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const dir = mkdtempSync(join(tmpdir(), 'bench-nats-'));
const server = spawn('/usr/sbin/nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], {
  stdio: 'ignore',
});
process.on('exit', () => server.kill('SIGKILL'));
await new Promise((r) => setTimeout(r, 800));
const url = `nats://127.0.0.1:${port}`;

const pct = (xs, p) => xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
async function windowed(n, fn) {
  let i = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (i < n) await fn(i++);
    }),
  );
}

async function portico() {
  const bus = await connectNatsBus({ url });
  const c = await bus.consumer('bench.p', { group: 'g', start: { kind: 'all' } });
  const t0 = performance.now();
  await windowed(N, (i) => bus.publish({ type: 'bench.p', data: { i } }));
  let got = 0;
  while (got < N)
    for (const d of await c.fetch(256, 1000)) {
      await c.ack(d.token);
      got++;
    }
  const secs = (performance.now() - t0) / 1000;
  const lat = [];
  for (let i = 0; i < LAT; i++) {
    const s = performance.now();
    await bus.publish({ type: 'bench.p', data: { i } });
    const [d] = await c.fetch(1, 1000);
    await c.ack(d.token);
    lat.push(performance.now() - s);
  }
  await c.close();
  await bus.close();
  return { rate: N / secs, p50: pct(lat, 50), p99: pct(lat, 99) };
}

async function raw() {
  const nc = await connect({ servers: url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'RAW', subjects: ['raw.x'], duplicate_window: 120e9 });
  await jsm.consumers.add('RAW', { durable_name: 'g', ack_policy: AckPolicy.Explicit, max_ack_pending: 1000 });
  const js = jetstream(nc);
  const c = await js.consumers.get('RAW', 'g');
  const t0 = performance.now();
  await windowed(N, (i) =>
    js.publish('raw.x', JSON.stringify({ id: crypto.randomUUID(), data: { i } }), { msgID: crypto.randomUUID() }),
  );
  let got = 0;
  while (got < N)
    for await (const m of await c.fetch({ max_messages: Math.min(256, N - got), expires: 1000 })) {
      await m.ackAck();
      got++;
    }
  const secs = (performance.now() - t0) / 1000;
  const lat = [];
  for (let i = 0; i < LAT; i++) {
    const s = performance.now();
    await js.publish('raw.x', JSON.stringify({ i }), { msgID: crypto.randomUUID() });
    const m = await c.next({ expires: 1000 });
    await m.ackAck();
    lat.push(performance.now() - s);
  }
  await nc.drain();
  return { rate: N / secs, p50: pct(lat, 50), p99: pct(lat, 99) };
}

const r = await raw();
const p = await portico();
const f = (x) => `${Math.round(x.rate)} msg/s, p50 ${x.p50.toFixed(2)} ms, p99 ${x.p99.toFixed(2)} ms`;
console.log(`N=${N}, latency samples ${LAT}`);
console.log(`raw @nats-io/jetstream : ${f(r)}`);
console.log(`Portico NATS adapter   : ${f(p)}`);
console.log(`ratio adapter/raw throughput: ${(p.rate / r.rate).toFixed(2)}×`);
server.kill('SIGKILL');
rmSync(dir, { recursive: true, force: true });
process.exit(0);
