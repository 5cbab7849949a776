import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryRegistry } from './memory-registry.js';
import type { WatchEvent } from './registry-port.js';

describe('MemoryRegistry', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const base = { service: 'orders', host: '127.0.0.1', port: 3000 };

  it('registers idempotently on id, with defaults filled in', async () => {
    const registry = new MemoryRegistry({ ttlSeconds: 30, watchHistory: 100 });
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
    expect(again.instance.revision).toBe(first.instance.revision + 1);
    expect((await registry.services()).map((s) => [s.name, s.instances])).toEqual([['orders', 1]]);
    await registry.close();
  });

  it('generates an id when none is given', async () => {
    const registry = new MemoryRegistry({ ttlSeconds: 30, watchHistory: 100 });
    const { instance } = await registry.register(base);
    expect(instance.id).toMatch(/^[0-9a-f-]{36}$/);
    await registry.close();
  });

  it('expires a lease at its TTL unless heartbeats renew it, and tells watchers why', async () => {
    vi.useFakeTimers();
    const registry = new MemoryRegistry({ ttlSeconds: 30, watchHistory: 100 });
    const events: WatchEvent[] = [];
    registry.watch({}, (event) => events.push(event));
    await registry.register({ ...base, id: 'beating', ttlSeconds: 3 });
    await registry.register({ ...base, id: 'silent', ttlSeconds: 3 });
    for (let i = 0; i < 4; i++) {
      vi.advanceTimersByTime(2_000);
      expect(await registry.heartbeat('beating')).toBeDefined();
    }
    expect(await registry.instance('silent')).toBeUndefined();
    expect(await registry.instance('beating')).toBeDefined();
    const removal = events.find((e) => e.kind === 'change' && e.change.type === 'removed');
    expect(removal).toMatchObject({ change: { type: 'removed', reason: 'expired', instance: { id: 'silent' } } });
    expect(await registry.heartbeat('silent')).toBeUndefined();
    await registry.close();
  });

  it('gives a new watcher a snapshot, a returning one what it missed', async () => {
    const registry = new MemoryRegistry({ ttlSeconds: 30, watchHistory: 100 });
    await registry.register({ ...base, id: 'a' });
    const seen: WatchEvent[] = [];
    const sub = registry.watch({}, (e) => seen.push(e));
    expect(seen[0]).toMatchObject({ kind: 'snapshot', snapshot: { revision: 1 } });
    sub.close();
    await registry.register({ ...base, id: 'b' });
    await registry.deregister('a');
    const resumed: WatchEvent[] = [];
    registry.watch({ since: 1, epoch: registry.epoch }, (e) => resumed.push(e));
    expect(resumed.map((e) => (e.kind === 'change' ? `${e.change.type}:${e.change.instance.id}` : e.kind))).toEqual([
      'registered:b',
      'removed:a',
    ]);
    expect(registry.watcherCount()).toBe(1);
    await registry.close();
  });

  it('keeps delivering to other watchers when one throws', async () => {
    const registry = new MemoryRegistry({ ttlSeconds: 30, watchHistory: 100 });
    registry.watch({}, (e) => {
      if (e.kind === 'change') throw new Error('broken watcher');
    });
    const seen: WatchEvent[] = [];
    registry.watch({}, (e) => seen.push(e));
    await registry.register({ ...base, id: 'a' });
    expect(seen.map((e) => e.kind)).toEqual(['snapshot', 'change']);
    await registry.close();
  });
});
