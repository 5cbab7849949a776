/**
 * Two `portico start registry` processes on one real nats-server (registry.store: nats), driven
 * through their HTTP API with the network adapter a gateway uses: a write on one is watched on
 * the other, revisions rise across both, a watcher resumes on the other process with nothing
 * missed or repeated, expiries happen once across both, a SIGSTOPped leader gets no stale write
 * accepted, and a restarted registry has lost nothing. Needs `npx tsc -b` first (runs dist/).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegistryChange } from '@portico/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../packages/portico/src/logger.js';
import { HttpRegistry } from '../packages/portico/src/registry/http-registry.js';
import type { WatchEvent } from '../packages/portico/src/registry/registry-port.js';
import { type NatsServer, startNats } from './support/nats.js';
import { type PorticoProc, startPortico } from './support/processes.js';

const LEADER_LEASE_SECONDS = 3;
let nats: NatsServer;
let configFile: string;
let buckets = 0;
const started: PorticoProc[] = [];
const clients: HttpRegistry[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const logger = createLogger('warn');

beforeAll(async () => {
  nats = await startNats();
  configFile = join(mkdtempSync(join(tmpdir(), 'registry-kv-')), 'portico.yaml');
  writeFileSync(configFile, `registry:\n  nats:\n    leaderLeaseSeconds: ${LEADER_LEASE_SECONDS}\n    sweepMs: 200\n`);
});

afterAll(async () => {
  for (const client of clients) await client.close();
  for (const proc of started) {
    // A test may leave one stopped: SIGCONT first, or SIGTERM would wait for ever.
    if (proc.child.exitCode === null) proc.child.kill('SIGCONT');
    await proc.stop();
  }
  await nats?.dispose();
});

/** A registry process on `bucket`. */
async function registry(bucket: string): Promise<PorticoProc> {
  const proc = await startPortico(
    {
      PORTICO_CONFIG: configFile,
      PORTICO_REGISTRY_STORE: 'nats',
      PORTICO_REGISTRY_NATS_URL: nats.url,
      PORTICO_LOG_LEVEL: 'info',
      // Each test on its own buckets, so counts do not mix.
      PORTICO_REGISTRY_NATS_BUCKET: bucket,
    },
    'registry',
  );
  started.push(proc);
  return proc;
}

function client(proc: PorticoProc): HttpRegistry {
  const c = new HttpRegistry(proc.adminUrl, { logger, reconnectMinMs: 50, reconnectMaxMs: 200 });
  clients.push(c);
  return c;
}

/** Two registry processes on fresh buckets. */
async function pair() {
  const bucket = `proc-${++buckets}`;
  const [a, b] = await Promise.all([registry(bucket), registry(bucket)]);
  return { bucket, a, b };
}

function watcher(c: HttpRegistry, from: { epoch?: string; since?: number } = {}) {
  const events: WatchEvent[] = [];
  const sub = c.watch(from, (e) => events.push(e));
  return {
    events,
    close: () => sub.close(),
    changes: (): RegistryChange[] => events.flatMap((e) => (e.kind === 'change' ? [e.change] : [])),
    epoch: () => events[0]?.epoch as string,
  };
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

const base = { service: 'orders', host: '127.0.0.1', port: 3000 };

describe('two registry processes on NATS KV', () => {
  it('a register on A is watched on B, revisions rise across both, and a watcher resumes on B exactly', async () => {
    const { a, b } = await pair();
    const [ca, cb] = [client(a), client(b)];
    const onB = watcher(cb);
    await until(() => onB.events.length > 0, 10_000, 'snapshot on B');
    await ca.register({ ...base, id: 'from-a' });
    await until(() => onB.changes().some((c) => c.instance.id === 'from-a'), 10_000, 'A → B');

    const revisions: number[] = [];
    for (let i = 0; i < 20; i++) {
      revisions.push((await (i % 2 ? cb : ca).register({ ...base, id: `r-${i}` })).instance.revision);
    }
    expect(revisions).toEqual([...revisions].sort((x, y) => x - y));
    expect(new Set(revisions).size).toBe(20);

    // A watcher on A, cut off at a revision; 50 changes through both; resumed on B.
    const onA = watcher(ca);
    await until(() => onA.events.length > 0, 10_000, 'snapshot on A');
    await ca.register({ ...base, id: 'mark' });
    await until(() => onA.changes().length === 1, 10_000, 'mark on A');
    onA.close();
    const since = onA.changes()[0]?.revision as number;
    for (let i = 0; i < 50; i++) {
      const c = i % 2 ? cb : ca;
      if (i % 10 === 9) expect(await c.deregister(`r-${Math.floor(i / 10)}`)).toBeDefined();
      else await c.register({ ...base, id: `p-${i}` });
    }
    const resumed = watcher(cb, { epoch: onA.epoch(), since });
    await until(() => resumed.changes().length >= 50, 15_000, '50 changes resumed on B');
    await sleep(500);
    expect(resumed.events.some((e) => e.kind === 'snapshot')).toBe(false);
    const got = resumed.changes();
    expect(got).toHaveLength(50);
    expect(new Set(got.map((c) => c.revision)).size).toBe(50);
    expect(got.filter((c) => c.type === 'removed')).toHaveLength(5);
    expect(got.map((c) => c.revision).every((r, i, all) => i === 0 || r > (all[i - 1] as number))).toBe(true);
    expect(got[0]?.revision).toBeGreaterThan(since);
    resumed.close();
    onB.close();
  });

  it('100 silent instances with a 2 s TTL are removed exactly once each, as both processes watch', async () => {
    const { a, b } = await pair();
    const [ca, cb] = [client(a), client(b)];
    const onA = watcher(ca);
    const onB = watcher(cb);
    await until(() => onA.events.length > 0 && onB.events.length > 0, 10_000, 'snapshots');
    for (let i = 0; i < 100; i++) await (i % 2 ? cb : ca).register({ ...base, id: `silent-${i}`, ttlSeconds: 2 });
    const removedOn = (w: ReturnType<typeof watcher>) => w.changes().filter((c) => c.type === 'removed');
    await until(() => removedOn(onA).length >= 100 && removedOn(onB).length >= 100, 30_000, '100 expiries');
    await sleep(2_000);
    for (const w of [onA, onB]) {
      const removed = removedOn(w);
      expect(removed).toHaveLength(100);
      expect(new Set(removed.map((c) => c.instance.id)).size).toBe(100);
      expect(removed.every((c) => c.type === 'removed' && c.reason === 'expired')).toBe(true);
    }
    expect(await ca.services()).toEqual([]);
    onA.close();
    onB.close();
  });

  it('a leader SIGSTOPped past its term gets no stale write accepted when it wakes', async () => {
    const { a, b } = await pair();
    await until(
      () => [a, b].some((p) => p.lines.some((l) => l.includes('registry leader term taken'))),
      15_000,
      'a leader',
    );
    const leader = [a, b].find((p) => p.lines.some((l) => l.includes('registry leader term taken'))) as PorticoProc;
    const other = leader === a ? b : a;
    const [cl, co] = [client(leader), client(other)];
    const onOther = watcher(co);
    await until(() => onOther.events.length > 0, 10_000, 'snapshot');
    // 20 that keep heartbeating (through the other process) and 20 that fall silent, TTL 2 s.
    for (let i = 0; i < 20; i++) {
      await cl.register({ ...base, id: `live-${i}`, ttlSeconds: 2 });
      await cl.register({ ...base, id: `dead-${i}`, ttlSeconds: 2 });
    }
    await sleep(300);
    // The leader freezes with a mirror in which nothing has heartbeated since.
    process.kill(leader.child.pid as number, 'SIGSTOP');
    const pausedUntil = Date.now() + (LEADER_LEASE_SECONDS + 5) * 1000;
    while (Date.now() < pausedUntil) {
      for (let i = 0; i < 20; i++) expect(await co.heartbeat(`live-${i}`)).toBeDefined();
      await sleep(400);
    }
    process.kill(leader.child.pid as number, 'SIGCONT');
    // Awake with a stale mirror, past its term: keep the live ones beating and watch what it does.
    const awakeUntil = Date.now() + 4_000;
    while (Date.now() < awakeUntil) {
      for (let i = 0; i < 20; i++) expect(await co.heartbeat(`live-${i}`)).toBeDefined();
      await sleep(400);
    }
    const removed = onOther.changes().filter((c) => c.type === 'removed');
    expect(removed.map((c) => c.instance.id).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `dead-${i}`).sort());
    expect(other.lines.some((l) => l.includes('registry leader term taken'))).toBe(true);
    for (let i = 0; i < 20; i++) expect(await cl.instance(`live-${i}`)).toBeDefined();
    onOther.close();
  });

  it('a registry restarted loses nothing: instances, epoch, and the history a watcher resumes from', async () => {
    const { bucket, a, b } = await pair();
    const [ca, cb] = [client(a), client(b)];
    for (let i = 0; i < 10; i++) await ca.register({ ...base, id: `kept-${i}`, ttlSeconds: 600 });
    const onB = watcher(cb);
    await until(() => onB.events.length > 0, 10_000, 'snapshot');
    const snapshot = onB.events[0] as Extract<WatchEvent, { kind: 'snapshot' }>;
    onB.close();
    await ca.register({ ...base, id: 'later', ttlSeconds: 600 });
    await a.stop('SIGKILL');
    await b.stop('SIGTERM');
    const c = await registry(bucket);
    const cc = client(c);
    expect((await cc.service('orders'))?.instances.map((i) => i.id).sort()).toEqual(
      [...Array.from({ length: 10 }, (_, i) => `kept-${i}`), 'later'].sort(),
    );
    const resumed = watcher(cc, { epoch: snapshot.epoch, since: snapshot.snapshot.revision });
    await until(() => resumed.events.length > 0, 10_000, 'resume after restart');
    await sleep(300);
    expect(
      resumed.events.map((e) => (e.kind === 'change' ? `${e.change.type}:${e.change.instance.id}` : e.kind)),
    ).toEqual(['registered:later']);
    resumed.close();
  });
});
