// Candidates for the replicated registry on one workload: register, heartbeat and deregister
// N instances one after another, each write timed from send to the moment a watcher on a
// second connection sees it (p50/p99), plus the write throughput. Starts its own servers on
// loopback ephemeral ports and stops them by PID. Usage: node bench/registry-engines.mjs [N]
// PostgreSQL (table + LISTEN/NOTIFY) is not measured yet: see docs/scale-out.md.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(new URL('../packages/portico/package.json', import.meta.url));
const N = Number(process.argv[2] ?? 500);

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function measure(name, write, waitSeen) {
  const latencies = [];
  const started = performance.now();
  for (const op of ['register', 'heartbeat', 'deregister']) {
    for (let i = 0; i < N; i++) {
      const key = `inst-${i}`;
      const seen = waitSeen(key, op);
      const t0 = performance.now();
      await write(op, key);
      await seen;
      latencies.push(performance.now() - t0);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    engine: name,
    ops: latencies.length,
    opsPerSec: Math.round(latencies.length / seconds),
    p50: +pct(latencies, 50).toFixed(3),
    p99: +pct(latencies, 99).toFixed(3),
  };
}

function waiter() {
  const pending = new Map();
  return {
    wait: (key, op) => new Promise((resolve) => pending.set(`${op}:${key}`, resolve)),
    seen: (key, op) => {
      pending.get(`${op}:${key}`)?.();
      pending.delete(`${op}:${key}`);
    },
  };
}

async function redis() {
  if (spawnSync('redis-server', ['--version']).error) throw new Error('redis-server is not installed here');
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  await sleep(300);
  const Redis = require('ioredis');
  const writer = new Redis({ port, host: '127.0.0.1' });
  const reader = new Redis({ port, host: '127.0.0.1' });
  const w = waiter();
  let last = '$';
  let running = true;
  (async () => {
    while (running) {
      const res = await reader.xread('BLOCK', 1000, 'STREAMS', 'registry:changes', last).catch(() => null);
      for (const [, entries] of res ?? []) {
        for (const [id, fields] of entries) {
          last = id;
          w.seen(fields[1], fields[3]);
        }
      }
    }
  })();
  await sleep(100);
  const write = async (op, key) => {
    const multi = writer.multi();
    if (op === 'deregister') multi.del(`registry:instance:${key}`);
    else
      multi.set(
        `registry:instance:${key}`,
        JSON.stringify({ id: key, service: 'bench', host: '127.0.0.1', port: 1 }),
        'EX',
        30,
      );
    // A heartbeat is not a change in Portico, but here it is timed the same way for comparison.
    multi.xadd('registry:changes', 'MAXLEN', '~', '10000', '*', 'key', key, 'op', op);
    await multi.exec();
  };
  const result = await measure('redis 7 (SET EX + XADD, XREAD BLOCK)', write, w.wait);
  running = false;
  writer.disconnect();
  reader.disconnect();
  child.kill('SIGTERM');
  return result;
}

async function nats() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bench-nats-'));
  const child = spawn('/usr/sbin/nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], {
    stdio: 'ignore',
  });
  await sleep(500);
  const { connect } = require('@nats-io/transport-node');
  const { Kvm } = require('@nats-io/kv');
  const nc1 = await connect({ servers: `127.0.0.1:${port}` });
  const nc2 = await connect({ servers: `127.0.0.1:${port}` });
  const kv = await new Kvm(nc1).create('registry', { history: 1 });
  const kvWatch = await new Kvm(nc2).open('registry');
  const w = waiter();
  const iter = await kvWatch.watch({ include: 'updates' });
  (async () => {
    for await (const entry of iter) {
      const op =
        entry.operation === 'DEL' || entry.operation === 'PURGE' ? 'deregister' : JSON.parse(entry.string()).op;
      w.seen(entry.key, op);
    }
  })();
  const write = async (op, key) => {
    if (op === 'deregister') await kv.delete(key);
    else await kv.put(key, JSON.stringify({ op, id: key, service: 'bench', host: '127.0.0.1', port: 1 }));
  };
  const result = await measure('nats-server 2.9 JetStream KV (put/delete, watch)', write, w.wait);
  iter.stop();
  await nc1.close();
  await nc2.close();
  child.kill('SIGTERM');
  return result;
}

const results = [];
for (const run of [redis, nats]) {
  try {
    results.push(await run());
  } catch (error) {
    results.push({ engine: run.name, error: String(error) });
  }
}
console.log(
  `N=${N} instances, 3 writes each, one at a time, latency = write sent → seen by a watcher on a second connection (ms)`,
);
console.table(results);
process.exit(0);
