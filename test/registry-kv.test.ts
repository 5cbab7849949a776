/**
 * The NATS KV registry as several registry processes see it, here as several adapters in one
 * test process, each with its own NATS connection, on one real nats-server: shared revisions,
 * resuming on another adapter, the lease sweeper's compare-and-set fence, one leader, a
 * restart that loses nothing, and the resolver's error for an unknown store.
 */
import type { RegistryChange } from '@portico/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../packages/portico/src/config/load.js';
import { PlatformHealth } from '../packages/portico/src/health/platform-health.js';
import { createLogger } from '../packages/portico/src/logger.js';
import { PorticoMetrics } from '../packages/portico/src/observability/metrics.js';
import { connectKvRegistry, type KvRegistry } from '../packages/portico/src/registry/kv-registry/index.js';
import type { WatchEvent } from '../packages/portico/src/registry/registry-port.js';
import { startRegistry } from '../packages/portico/src/registry/start-registry.js';
import { type NatsServer, startNats } from './support/nats.js';

let nats: NatsServer;
let buckets = 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const base = { service: 'orders', host: '127.0.0.1', port: 3000 };

beforeAll(async () => {
  nats = await startNats();
});

afterAll(async () => {
  await nats?.dispose();
});

/** `count` adapters on one fresh pair of buckets; the sweep is driven by hand when `sweepMs` is long. */
async function cluster(count: number, options: { sweepMs?: number; leaderLeaseSeconds?: number } = {}) {
  const bucket = `kv-test-${++buckets}`;
  const registries: KvRegistry[] = [];
  for (let i = 0; i < count; i++) {
    registries.push(
      await connectKvRegistry({
        url: nats.url,
        bucket,
        ttlSeconds: 30,
        watchHistory: 1000,
        leaderLeaseSeconds: options.leaderLeaseSeconds ?? 2,
        sweepMs: options.sweepMs ?? 100,
        logger: createLogger('warn'),
      }),
    );
  }
  return { bucket, registries, close: () => Promise.all(registries.map((r) => r.close())) };
}

function changes(events: WatchEvent[]): RegistryChange[] {
  return events.flatMap((e) => (e.kind === 'change' ? [e.change] : []));
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await sleep(25);
  }
}

describe('KV registry across adapters', () => {
  it('shares one epoch and one revision order: a write on A is watched on B, revisions rise across both', async () => {
    const { registries, close } = await cluster(2);
    const [a, b] = registries as [KvRegistry, KvRegistry];
    try {
      expect(a.epoch).toBe(b.epoch);
      const onB: WatchEvent[] = [];
      b.watch({}, (e) => onB.push(e));
      const revisions: number[] = [];
      for (let i = 0; i < 20; i++) {
        const { instance } = await (i % 2 === 0 ? a : b).register({ ...base, id: `i-${i}` });
        revisions.push(instance.revision);
      }
      expect(revisions).toEqual([...revisions].sort((x, y) => x - y));
      expect(new Set(revisions).size).toBe(20);
      await until(() => changes(onB).length === 20, 5_000);
      expect(changes(onB).map((c) => c.revision)).toEqual(revisions);
      // Read on the other adapter at once: it asks the bucket when its mirror has not applied the write yet.
      const { instance } = await a.register({ ...base, id: 'fresh' });
      expect((await b.instance('fresh'))?.revision).toBe(instance.revision);
    } finally {
      await close();
    }
  });

  it('resumes a watcher from its revision on the other adapter: 0 missed, 0 duplicated', async () => {
    const { registries, close } = await cluster(2);
    const [a, b] = registries as [KvRegistry, KvRegistry];
    try {
      const first: WatchEvent[] = [];
      const sub = a.watch({}, (e) => first.push(e));
      for (let i = 0; i < 10; i++) await a.register({ ...base, id: `before-${i}` });
      sub.close();
      const last = changes(first).at(-1)?.revision as number;
      const made: number[] = [];
      for (let i = 0; i < 30; i++) {
        const writer = i % 2 === 0 ? a : b;
        if (i % 5 === 4) made.push((await writer.deregister(`before-${(i - 4) / 5}`))?.revision as number);
        else made.push((await writer.register({ ...base, id: `during-${i}` })).instance.revision);
      }
      await sleep(200);
      const resumed: WatchEvent[] = [];
      b.watch({ epoch: a.epoch, since: last }, (e) => resumed.push(e));
      expect(resumed.some((e) => e.kind === 'snapshot')).toBe(false);
      const got = changes(resumed);
      expect(got).toHaveLength(30);
      expect(new Set(got.map((c) => c.revision)).size).toBe(30);
      expect(got.every((c) => c.revision > last)).toBe(true);
      expect(got.filter((c) => c.type === 'removed')).toHaveLength(6);
    } finally {
      await close();
    }
  });

  it('fences a stale sweeper: its expiries are refused by compare-and-set, one removal per instance', async () => {
    // Sweeps by hand only: the timer's interval is far longer than the test.
    const { registries, close } = await cluster(2, { sweepMs: 60_000 });
    const [a, b] = registries as [KvRegistry, KvRegistry];
    try {
      const events: WatchEvent[] = [];
      b.watch({}, (e) => events.push(e));
      for (let i = 0; i < 5; i++) await a.register({ ...base, id: `dead-${i}`, ttlSeconds: 1 });
      await a.register({ ...base, id: 'renewed', ttlSeconds: 1 });
      await sleep(1_200);
      // What a paused ex-leader holds: the expired leases as it saw them before its pause.
      const staleView = (
        a as unknown as { parts: { mirror: { expired(now: number): unknown[] } } }
      ).parts.mirror.expired(Date.now());
      expect(staleView).toHaveLength(6);
      // Meanwhile: `renewed` heartbeats, and the other process expires the rest.
      await b.heartbeat('renewed');
      const byB = await b.sweeper.expire(
        (b as unknown as { parts: { mirror: { expired(now: number): never[] } } }).parts.mirror.expired(Date.now()),
      );
      expect(byB).toEqual({ expired: 5, refused: 0 });
      // The ex-leader wakes and writes what it decided before: every write is refused.
      const byA = await a.sweeper.expire(staleView as never[]);
      expect(byA).toEqual({ expired: 0, refused: 6 });
      await sleep(200);
      const removed = changes(events).filter((c) => c.type === 'removed');
      expect(removed.map((c) => c.instance.id).sort()).toEqual(['dead-0', 'dead-1', 'dead-2', 'dead-3', 'dead-4']);
      expect(await a.instance('renewed')).toBeDefined();
    } finally {
      await close();
    }
  });

  it('elects one sweeper among three adapters, and another once it leaves', async () => {
    const { registries, close } = await cluster(3, { leaderLeaseSeconds: 2 });
    try {
      const leaders = () =>
        registries.filter((r) =>
          (r.sweeper as unknown as { deps: { term: { isLeader(): boolean } } }).deps.term.isLeader(),
        );
      await until(() => leaders().length === 1, 10_000);
      const first = leaders()[0] as KvRegistry;
      await first.close();
      const rest = registries.filter((r) => r !== first);
      await until(
        () =>
          rest.filter((r) => (r.sweeper as unknown as { deps: { term: { isLeader(): boolean } } }).deps.term.isLeader())
            .length === 1,
        10_000,
      );
      registries.splice(registries.indexOf(first), 1);
    } finally {
      await close();
    }
  });

  it('loses nothing when a registry restarts: state, epoch and the history a watcher resumes from', async () => {
    const { bucket, registries, close } = await cluster(1);
    const [a] = registries as [KvRegistry];
    const epoch = a.epoch;
    const { instance } = await a.register({ ...base, id: 'kept' });
    await a.register({ ...base, id: 'gone' });
    await a.deregister('gone');
    await close();
    const again = await connectKvRegistry({
      url: nats.url,
      bucket,
      ttlSeconds: 30,
      watchHistory: 1000,
      logger: createLogger('warn'),
    });
    try {
      expect(again.epoch).toBe(epoch);
      expect((await again.instance('kept'))?.revision).toBe(instance.revision);
      expect(await again.instance('gone')).toBeUndefined();
      const resumed: WatchEvent[] = [];
      again.watch({ epoch, since: instance.revision }, (e) => resumed.push(e));
      expect(changes(resumed).map((c) => `${c.type}:${c.instance.id}`)).toEqual(['registered:gone', 'removed:gone']);
    } finally {
      await again.close();
    }
  });
});

describe('registry store resolver', () => {
  it('starts the NATS store from config, and refuses a store it does not know', async () => {
    const config = loadConfig({
      env: { PORTICO_REGISTRY_STORE: 'nats', PORTICO_REGISTRY_NATS_URL: nats.url },
    });
    const registry = await startRegistry(
      config,
      createLogger('warn'),
      new PlatformHealth(),
      new PorticoMetrics('registry'),
    );
    expect(registry.constructor.name).toBe('KvRegistry');
    await registry.close();
    const bogus = { ...config, registry: { ...config.registry, store: 'etcd' as never } };
    await expect(
      startRegistry(bogus, createLogger('warn'), new PlatformHealth(), new PorticoMetrics('registry')),
    ).rejects.toThrow('unknown registry.store "etcd": use one of memory, nats');
    expect(() => loadConfig({ env: { PORTICO_REGISTRY_STORE: 'etcd' } })).toThrow(/registry\.store/);
  });
});
