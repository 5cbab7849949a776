/**
 * What every RegistryPort adapter that holds the registry (memory, NATS KV) must do, as one
 * suite: `registryContract(name, open)` runs it against the adapter `open` makes. Written from
 * the memory registry's tests; what is adapter-specific (fake timers, two processes) lives in
 * the adapters' own files. Real time throughout, so the KV adapter's sweeper runs for real.
 */
import { describe, expect, it } from 'vitest';
import type { RegistryPort, WatchEvent } from '../../packages/portico/src/registry/registry-port.js';

/** One adapter under test, fresh (empty) each time. */
export interface ContractSubject {
  registry: RegistryPort;
  /** The epoch its watch events carry. */
  epoch: () => string;
  close(): Promise<void>;
}

/** Makes a fresh, empty registry whose default lease is `ttlSeconds`. */
export type OpenRegistry = (ttlSeconds: number) => Promise<ContractSubject>;

const base = { service: 'orders', host: '127.0.0.1', port: 3000 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const label = (e: WatchEvent) => (e.kind === 'change' ? `${e.change.type}:${e.change.instance.id}` : e.kind);

/** Waits (bounded) until `check` holds; the KV sweeper's expiries come on its own schedule. */
async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await sleep(50);
  }
}

export function registryContract(name: string, open: OpenRegistry): void {
  describe(`RegistryPort contract: ${name}`, () => {
    it('registers idempotently on id, with defaults filled in', async () => {
      const { registry, close } = await open(30);
      try {
        const first = await registry.register({ ...base, id: 'a', basePath: 'v1/' });
        expect(first.created).toBe(true);
        expect(first.instance).toMatchObject({
          id: 'a',
          basePath: '/v1',
          auth: 'any',
          weight: 1,
          ttlSeconds: 30,
          status: 'up',
        });
        const again = await registry.register({ ...base, id: 'a', port: 3001 });
        expect(again.created).toBe(false);
        expect(again.instance.port).toBe(3001);
        expect(again.instance.registeredAt).toBe(first.instance.registeredAt);
        expect(again.instance.revision).toBeGreaterThan(first.instance.revision);
        expect((await registry.instance('a'))?.revision).toBe(again.instance.revision);
        expect((await registry.services()).map((s) => [s.name, s.instances])).toEqual([['orders', 1]]);
      } finally {
        await close();
      }
    });

    it('generates an id when none is given, and answers undefined for unknown ids', async () => {
      const { registry, close } = await open(30);
      try {
        const { instance } = await registry.register(base);
        expect(instance.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(await registry.instance('nobody')).toBeUndefined();
        expect(await registry.heartbeat('nobody')).toBeUndefined();
        expect(await registry.deregister('nobody')).toBeUndefined();
        expect(await registry.service('nothing')).toBeUndefined();
      } finally {
        await close();
      }
    });

    it('expires a lease at its TTL unless heartbeats renew it, once, and tells watchers why', async () => {
      const { registry, close } = await open(30);
      try {
        const events: WatchEvent[] = [];
        registry.watch({}, (event) => events.push(event));
        await registry.register({ ...base, id: 'beating', ttlSeconds: 1 });
        await registry.register({ ...base, id: 'silent', ttlSeconds: 1 });
        const before = Date.parse((await registry.instance('beating'))?.leaseExpiresAt ?? '');
        for (let i = 0; i < 8; i++) {
          await sleep(300);
          expect(await registry.heartbeat('beating')).toBeDefined();
        }
        await until(async () => (await registry.instance('silent')) === undefined, 10_000);
        const beating = await registry.instance('beating');
        expect(beating).toBeDefined();
        expect(Date.parse(beating?.leaseExpiresAt ?? '')).toBeGreaterThan(before);
        const removals = events.filter((e) => e.kind === 'change' && e.change.type === 'removed');
        expect(removals).toHaveLength(1);
        expect(removals[0]).toMatchObject({
          change: { type: 'removed', reason: 'expired', instance: { id: 'silent' } },
        });
        expect(await registry.heartbeat('silent')).toBeUndefined();
      } finally {
        await close();
      }
    });

    it('does not make a heartbeat a change', async () => {
      const { registry, close } = await open(30);
      try {
        const { instance } = await registry.register({ ...base, id: 'a' });
        const events: WatchEvent[] = [];
        registry.watch({}, (event) => events.push(event));
        const renewed = await registry.heartbeat('a');
        expect(renewed?.revision).toBe(instance.revision);
        expect(Date.parse(renewed?.lastHeartbeat ?? '')).toBeGreaterThanOrEqual(Date.parse(instance.lastHeartbeat));
        await sleep(200);
        expect(events.map(label)).toEqual(['snapshot']);
      } finally {
        await close();
      }
    });

    it('gives a new watcher a snapshot, a returning one exactly what it missed', async () => {
      const { registry, epoch, close } = await open(30);
      try {
        await registry.register({ ...base, id: 'a' });
        const seen: WatchEvent[] = [];
        const sub = registry.watch({}, (e) => seen.push(e));
        expect(seen[0]).toMatchObject({ kind: 'snapshot', epoch: epoch() });
        const snapshot = seen[0] as Extract<WatchEvent, { kind: 'snapshot' }>;
        expect(snapshot.snapshot.instances.map((i) => i.id)).toEqual(['a']);
        sub.close();
        await registry.register({ ...base, id: 'b' });
        await registry.deregister('a');
        const resumed: WatchEvent[] = [];
        registry.watch({ since: snapshot.snapshot.revision, epoch: epoch() }, (e) => resumed.push(e));
        expect(resumed.map(label)).toEqual(['registered:b', 'removed:a']);
        const revisions = resumed.map((e) => (e.kind === 'change' ? e.change.revision : 0));
        expect(revisions[0]).toBeGreaterThan(snapshot.snapshot.revision);
        expect(revisions[1]).toBeGreaterThan(revisions[0] as number);
        expect(registry.watcherCount()).toBe(1);
        // Another epoch's revision means nothing here: a snapshot.
        const other: WatchEvent[] = [];
        registry.watch({ since: 1, epoch: 'another-epoch' }, (e) => other.push(e));
        expect(other.map(label)).toEqual(['snapshot']);
      } finally {
        await close();
      }
    });

    it('keeps delivering to other watchers when one throws', async () => {
      const { registry, close } = await open(30);
      try {
        registry.watch({}, (e) => {
          if (e.kind === 'change') throw new Error('broken watcher');
        });
        const seen: WatchEvent[] = [];
        registry.watch({}, (e) => seen.push(e));
        await registry.register({ ...base, id: 'a' });
        expect(seen.map((e) => e.kind)).toEqual(['snapshot', 'change']);
      } finally {
        await close();
      }
    });

    it('lists services and their instances, and holds assertion keys for their lease', async () => {
      const { registry, close } = await open(30);
      try {
        await registry.register({ ...base, id: 'o1', version: '1.0.0' });
        await registry.register({ ...base, id: 'o2', version: '1.1.0' });
        await registry.register({ service: 'billing', host: '127.0.0.1', port: 4000, id: 'b1' });
        expect(await registry.services()).toEqual([
          { name: 'billing', instances: 1, versions: ['0.0.0'] },
          { name: 'orders', instances: 2, versions: ['1.0.0', '1.1.0'] },
        ]);
        expect((await registry.service('orders'))?.instances.map((i) => i.id).sort()).toEqual(['o1', 'o2']);
        const jwk = { kty: 'OKP', crv: 'Ed25519', x: 'x-value', kid: 'gw-1' };
        await registry.publishAssertionKey(jwk, 1);
        expect(await registry.assertionKeys()).toEqual([jwk]);
        await sleep(1_100);
        expect(await registry.assertionKeys()).toEqual([]);
      } finally {
        await close();
      }
    });
  });
}
