/**
 * The SQL-backed contenders of bench/bus.mjs and the one measurement they all go through:
 * Portico's embedded bus adapter (on PostgreSQL, optionally PGlite) and pg-boss 10, both on the
 * same PostgreSQL server. Each contender is { name, open(), publish(i), fetch(max), ack(batch),
 * next(), close() }; `measure` drives it the same way for every one.
 */
import { createRequire } from 'node:module';
import { EmbeddedBus } from '../../packages/portico/dist/bus/embedded/embedded-bus.js';
import { openStore } from '../../packages/portico/dist/store/index.js';

const require = createRequire(import.meta.url);

// Where the time goes, cheaply: count the statements each contender sends. Both the store and
// pg-boss use this one `pg` (pool.query goes through Client#query too); NATS contenders send none.
const pg = require('pg');
let statements = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(...args) {
  statements++;
  return query.apply(this, args);
};

/** Shared settings, printed with the results. */
export const SQL_SETTINGS = { poolSize: 20, batch: 50, inFlight: 64, fetchWaitMs: 1000 };

export const percentile = (xs, p) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

/** Runs `fn(i)` for i < n with `width` calls in flight, stopping at `deadline` (ms, performance.now()). */
export async function windowed(n, width, deadline, fn) {
  let i = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (i < n && performance.now() < deadline) await fn(i++);
    }),
  );
  return Math.min(i, n);
}

/**
 * Throughput: publish `n` (`inFlight` awaited publishes at a time), then fetch batches of `batch`
 * and ack each batch until `n` are acked. Latency: `lat` times one publish → that message fetched
 * → its ack done, one at a time. Every loop stops at `budgetMs`; a cut run says `timedOut`.
 */
export async function measure(c, { n, lat, warmup, budgetMs }) {
  const cycle = async (count, deadline) => {
    const published = await windowed(count, SQL_SETTINGS.inFlight, deadline, (i) => c.publish(i));
    const t = performance.now();
    let got = 0;
    let fetchMs = 0;
    while (got < published && performance.now() < deadline) {
      const f = performance.now();
      const batch = await c.fetch(Math.min(SQL_SETTINGS.batch, published - got));
      fetchMs += performance.now() - f;
      await c.ack(batch);
      got += batch.length;
    }
    const consumeMs = performance.now() - t;
    return { published, got, consumeMs, fetchMs, ackMs: consumeMs - fetchMs };
  };
  await cycle(warmup, performance.now() + budgetMs / 4);
  const before = statements;
  const t0 = performance.now();
  const deadline = t0 + budgetMs;
  const run = await cycle(n, deadline);
  const totalMs = performance.now() - t0;
  const throughputStatements = statements - before;
  const latencyBefore = statements;
  const samples = [];
  const latDeadline = performance.now() + budgetMs / 2;
  for (let i = 0; i < lat && performance.now() < latDeadline; i++) {
    const s = performance.now();
    await c.publish(i);
    const one = await c.next();
    if (!one) throw new Error(`${c.name}: a published message was not fetched within ${SQL_SETTINGS.fetchWaitMs} ms`);
    await c.ack([one]);
    samples.push(performance.now() - s);
  }
  const publishMs = totalMs - run.consumeMs;
  return {
    name: c.name,
    acked: run.got,
    timedOut: run.got < n || samples.length < lat,
    rate: run.got / (totalMs / 1000),
    publishRate: run.published / (publishMs / 1000),
    consumeRate: run.got / (run.consumeMs / 1000),
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    samples: samples.length,
    /** Of the consume phase, ms waiting on fetches and on the batch's acks. */
    fetchMs: run.fetchMs,
    ackMs: run.ackMs,
    statementsPerMessage: throughputStatements / Math.max(1, run.got),
    statementsPerRoundTrip: (statements - latencyBefore) / Math.max(1, samples.length),
  };
}

/** Portico's embedded adapter on a store (`url`: postgres://… or `memory:` for PGlite). */
export function embedded(name, url) {
  let store;
  let bus;
  let consumer;
  const topic = 'bench.embedded';
  return {
    name,
    async open() {
      store = await openStore({ url, dataDir: '', poolSize: url === 'memory:' ? 1 : SQL_SETTINGS.poolSize });
      bus = new EmbeddedBus(store.db, {
        retention: { defaults: {}, topics: {}, dedupWindowMs: 120000 },
        sweepMs: 0,
      });
      consumer = await bus.consumer(topic, { group: 'g', start: { kind: 'all' } });
    },
    publish: (i) => bus.publish({ type: topic, data: { i } }),
    fetch: (max) => consumer.fetch(max, SQL_SETTINGS.fetchWaitMs),
    ack: (batch) => Promise.all(batch.map((d) => consumer.ack(d.token))),
    next: async () => (await consumer.fetch(1, SQL_SETTINGS.fetchWaitMs))[0],
    async close() {
      await bus.close();
      await store.close();
    },
  };
}

/**
 * pg-boss 10 with fetch/complete (its `work()` polls at ≥ 0.5 s, which would measure the poll
 * interval). A fetch that finds nothing is retried at once, up to `fetchWaitMs`: the fastest a
 * pg-boss consumer can see a job. Maintenance and cron off, as the embedded sweeper is.
 */
export function pgBoss(name, url) {
  const PgBoss = require('pg-boss');
  const queue = 'bench-pgboss';
  let boss;
  const fetchWait = async (max) => {
    const until = performance.now() + SQL_SETTINGS.fetchWaitMs;
    for (;;) {
      const jobs = await boss.fetch(queue, { batchSize: max });
      if (jobs.length > 0 || performance.now() >= until) return jobs;
    }
  };
  return {
    name,
    async open() {
      boss = new PgBoss({ connectionString: url, max: SQL_SETTINGS.poolSize, supervise: false, schedule: false });
      boss.on('error', (error) => process.stderr.write(`pg-boss: ${error.message}\n`));
      await boss.start();
      await boss.createQueue(queue);
    },
    publish: (i) => boss.send(queue, { i }),
    fetch: fetchWait,
    ack: (batch) =>
      batch.length > 0
        ? boss.complete(
            queue,
            batch.map((j) => j.id),
          )
        : undefined,
    next: async () => (await fetchWait(1))[0],
    close: () => boss.stop({ graceful: false, wait: true }),
  };
}

export { freePort, startPostgres } from './bus-postgres.mjs';
