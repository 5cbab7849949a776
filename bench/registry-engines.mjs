// Candidates for the replicated registry on one workload, side by side in one run:
//   NATS JetStream KV (instance bucket + lease bucket, KV watch),
//   Redis (instance keys with a TTL, a Stream as the change log, XREAD BLOCK),
//   PostgreSQL (a table, a change table for replay, LISTEN/NOTIFY to wake the watcher).
// Phase 1, one write at a time: register, heartbeat and deregister N instances; each write is
// timed from send to its acknowledgement (write latency), and for register/deregister (the
// changes) from send until a watcher on a second connection has it (change → watcher latency).
// A heartbeat is not a change in Portico, so no watcher waits for it.
// Phase 2: heartbeats of N instances with C writes in flight, for writes/s under concurrency.
// Each engine's part is a measurement sketch, not a product: what a registry would need at
// least. Starts its own servers on loopback ephemeral ports and stops them by PID.
// Usage: node bench/registry-engines.mjs [N=500] [C=32]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres } from './lib/bus-postgres.mjs';

const require = createRequire(new URL('../packages/portico/package.json', import.meta.url));
const N = Number(process.argv[2] ?? 500);
const C = Number(process.argv[3] ?? 32);
const TTL = 30;

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const ms = (x) => +x.toFixed(2);
const doc = (key) => JSON.stringify({ id: key, service: 'bench', host: '127.0.0.1', port: 1, ttlSeconds: TTL });

/**
 * Runs both phases against one engine. `engine` gives `write(op, key)` and `wait(key, op)`, the
 * latter resolving when the watcher has seen that change.
 */
async function measure(name, engine) {
  const writeLat = [];
  const watchLat = [];
  const started = performance.now();
  for (const op of ['register', 'heartbeat', 'deregister']) {
    for (let i = 0; i < N; i++) {
      const key = `inst-${i}`;
      const seen = op === 'heartbeat' ? undefined : engine.wait(key, op);
      const t0 = performance.now();
      await engine.write(op, key);
      writeLat.push(performance.now() - t0);
      if (seen) {
        await seen;
        watchLat.push(performance.now() - t0);
      }
    }
  }
  const sequentialSeconds = (performance.now() - started) / 1000;
  // Phase 2: N registered instances heartbeating with C writes in flight.
  for (let i = 0; i < N; i++) await engine.write('register', `inst-${i}`);
  let next = 0;
  const t1 = performance.now();
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next < N * 4) {
        const i = next++;
        await engine.write('heartbeat', `inst-${i % N}`);
      }
    }),
  );
  const concurrentSeconds = (performance.now() - t1) / 1000;
  writeLat.sort((a, b) => a - b);
  watchLat.sort((a, b) => a - b);
  return {
    engine: name,
    'writes/s (1 in flight)': Math.round(writeLat.length / sequentialSeconds),
    [`heartbeats/s (${C} in flight)`]: Math.round((N * 4) / concurrentSeconds),
    'write p50': ms(pct(writeLat, 50)),
    'write p99': ms(pct(writeLat, 99)),
    'change→watch p50': ms(pct(watchLat, 50)),
    'change→watch p99': ms(pct(watchLat, 99)),
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
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  await new Promise((resolve, reject) => {
    child.once('error', () => reject(new Error('redis-server is not installed here')));
    sleep(300).then(resolve);
  });
  const Redis = require('ioredis');
  const writer = new Redis({ port, host: '127.0.0.1' });
  const reader = new Redis({ port, host: '127.0.0.1' });
  const w = waiter();
  let last = '$';
  let running = true;
  const loop = (async () => {
    while (running) {
      const res = await reader.xread('BLOCK', 200, 'STREAMS', 'registry:changes', last).catch(() => null);
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
    if (op === 'heartbeat') {
      // Renewing the TTL is not a change: no stream entry.
      await writer.expire(`registry:instance:${key}`, TTL);
      return;
    }
    const multi = writer.multi();
    if (op === 'deregister') multi.del(`registry:instance:${key}`);
    else multi.set(`registry:instance:${key}`, doc(key), 'EX', TTL);
    // The stream entry id is the revision; MAXLEN bounds the replayable history.
    multi.xadd('registry:changes', 'MAXLEN', '~', '10000', '*', 'key', key, 'op', op);
    await multi.exec();
  };
  try {
    const version = /redis_version:(\S+)/.exec(await writer.info('server'))?.[1];
    return await measure(`Redis ${version} (SET EX + XADD in MULTI, XREAD BLOCK)`, { write, wait: w.wait });
  } finally {
    running = false;
    await loop;
    writer.disconnect();
    reader.disconnect();
    child.kill('SIGTERM');
  }
}

async function nats() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bench-nats-'));
  const child = spawn('/usr/sbin/nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], {
    stdio: 'ignore',
  });
  await sleep(700);
  const { connect } = require('@nats-io/transport-node');
  const { Kvm } = require('@nats-io/kv');
  const nc1 = await connect({ servers: `127.0.0.1:${port}` });
  const nc2 = await connect({ servers: `127.0.0.1:${port}` });
  // As the adapter does: instances (with history, the change log) and leases (heartbeats) apart.
  const kv = await new Kvm(nc1).create('registry', { history: 64 });
  const leases = await new Kvm(nc1).create('registry-leases', { history: 1 });
  const kvWatch = await new Kvm(nc2).open('registry');
  const w = waiter();
  const iter = await kvWatch.watch({ include: 'updates' });
  (async () => {
    for await (const entry of iter) {
      w.seen(entry.key, JSON.parse(entry.string()).op);
    }
  })();
  const write = async (op, key) => {
    if (op === 'heartbeat') await leases.put(key, String(Date.now() + TTL * 1000));
    // A removal is a tombstone value, so the change log carries the removed instance.
    else await kv.put(key, JSON.stringify({ op, instance: doc(key) }));
  };
  try {
    return await measure(`nats-server ${nc1.info?.version} JetStream KV (put, lease bucket, KV watch)`, {
      write,
      wait: w.wait,
    });
  } finally {
    iter.stop();
    await nc1.close();
    await nc2.close();
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgres() {
  const server = await startPostgres();
  const pg = require('pg');
  try {
    const url = await server.createDatabase('bench_registry');
    const writer = new pg.Pool({ connectionString: url, max: C });
    // The server's shutdown at the end ends idle pooled connections: not an error of the run.
    writer.on('error', () => {});
    const listener = new pg.Client({ connectionString: url });
    await listener.connect();
    await writer.query(`
      create table instances (id text primary key, data jsonb not null, revision bigint not null, expires_at timestamptz not null);
      create table changes (revision bigserial primary key, id text not null, op text not null, data jsonb);`);
    const w = waiter();
    let last = 0;
    let reading = Promise.resolve();
    let queued = false;
    // NOTIFY has no replay: the payload only wakes the watcher, which reads the change table
    // from its last revision (what a resumable watch needs anyway). Wake-ups that come while a
    // read is queued are folded into it.
    listener.on('notification', () => {
      if (queued) return;
      queued = true;
      reading = reading.then(async () => {
        queued = false;
        const { rows } = await listener
          .query('select revision, id, op from changes where revision > $1 order by revision', [last])
          .catch(() => ({ rows: [] }));
        for (const row of rows) {
          last = Number(row.revision);
          w.seen(row.id, row.op);
        }
      });
    });
    await listener.query('listen registry');
    const write = async (op, key) => {
      if (op === 'heartbeat') {
        await writer.query("update instances set expires_at = now() + interval '30 seconds' where id = $1", [key]);
        return;
      }
      // One statement, one transaction: the change row, the instance row and the notify commit together.
      const sql =
        op === 'deregister'
          ? `with c as (insert into changes (id, op) values ($1, $2) returning revision),
               d as (delete from instances where id = $1)
             select pg_notify('registry', (select revision from c)::text)`
          : `with c as (insert into changes (id, op, data) values ($1, $2, $3::jsonb) returning revision),
               u as (insert into instances (id, data, revision, expires_at)
                     select $1, $3::jsonb, revision, now() + interval '30 seconds' from c
                     on conflict (id) do update set data = excluded.data, revision = excluded.revision, expires_at = excluded.expires_at)
             select pg_notify('registry', (select revision from c)::text)`;
      await writer.query(sql, op === 'deregister' ? [key, op] : [key, op, doc(key)]);
    };
    try {
      const { rows } = await writer.query('show server_version');
      const name = `PostgreSQL ${rows[0].server_version.split(' ')[0]} (table + change table, LISTEN/NOTIFY)`;
      return await measure(name, { write, wait: w.wait });
    } finally {
      await reading;
      await listener.end();
      await writer.end();
    }
  } finally {
    await server.stop();
  }
}

const results = [];
for (const run of [nats, redis, postgres]) {
  try {
    results.push(await run());
    console.log(results.at(-1));
  } catch (error) {
    results.push({ engine: run.name, error: String(error) });
  }
}
console.log(
  `N=${N} instances; phase 1: register, heartbeat, deregister each, one write at a time; phase 2: ${N * 4} heartbeats, ${C} in flight. Latencies in ms, loopback.`,
);
console.table(results);
process.exit(0);
