import type { Instance } from '@portico/sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config/load.js';
import { balancerFactory } from './balancers/index.js';
import { servicePolicy } from './resilience/service-policy.js';
import { RoutingTable } from './routing-table.js';

const gatewayDefaults = loadConfig({ env: {}, file: undefined }).gateway;
const testPolicy = () => servicePolicy(gatewayDefaults, undefined);

const instance = (id: string, service: string, port: number, basePath = '/'): Instance => ({
  id,
  service,
  host: '127.0.0.1',
  port,
  basePath,
  version: '1.0.0',
  tags: [],
  weight: 1,
  metadata: {},
  auth: 'any',
  endpoints: [],
  ttlSeconds: 10,
  status: 'up',
  registeredAt: '2026-01-01T00:00:00.000Z',
  lastHeartbeat: '2026-01-01T00:00:00.000Z',
  leaseExpiresAt: '2026-01-01T00:00:10.000Z',
  revision: 1,
});

describe('RoutingTable', () => {
  let table: RoutingTable;
  afterEach(async () => {
    await table.close();
  });

  const make = (balancer = 'round-robin') => new RoutingTable(balancerFactory(balancer), testPolicy);

  it('applies a snapshot, then changes, keeping a service known after its last instance leaves', () => {
    table = make();
    expect(table.synced).toBe(false);
    table.apply({ kind: 'snapshot', epoch: 'e', snapshot: { revision: 2, instances: [instance('a', 'orders', 1)] } });
    expect(table.synced).toBe(true);
    expect(table.route('orders')?.upstreams.map((u) => u.instance.id)).toEqual(['a']);
    table.apply({
      kind: 'change',
      epoch: 'e',
      change: { revision: 3, type: 'registered', instance: instance('b', 'orders', 2) },
    });
    expect(table.route('orders')?.upstreams).toHaveLength(2);
    table.apply({
      kind: 'change',
      epoch: 'e',
      change: { revision: 4, type: 'removed', reason: 'expired', instance: instance('a', 'orders', 1) },
    });
    table.apply({
      kind: 'change',
      epoch: 'e',
      change: { revision: 5, type: 'removed', reason: 'deregistered', instance: instance('b', 'orders', 2) },
    });
    expect(table.route('orders')?.upstreams).toEqual([]);
    expect(table.route('unknown')).toBeUndefined();
    expect(table.revision).toBe(5);
  });

  it('keeps the pool when an update leaves the address alone, replaces it when the address moves', () => {
    table = make();
    table.apply({ kind: 'snapshot', epoch: 'e', snapshot: { revision: 1, instances: [instance('a', 'orders', 1)] } });
    const before = table.route('orders')?.upstreams[0];
    table.apply({
      kind: 'change',
      epoch: 'e',
      change: { revision: 2, type: 'updated', instance: instance('a', 'orders', 1) },
    });
    expect(table.route('orders')?.upstreams[0]).toBe(before);
    table.apply({
      kind: 'change',
      epoch: 'e',
      change: { revision: 3, type: 'updated', instance: instance('a', 'orders', 9) },
    });
    expect(table.route('orders')?.upstreams[0]).not.toBe(before);
    expect(table.route('orders')?.upstreams[0]?.address).toBe('127.0.0.1:9');
  });

  it('moves an instance whose update names another service', () => {
    table = make();
    table.apply({ kind: 'snapshot', epoch: 'e', snapshot: { revision: 1, instances: [instance('a', 'orders', 1)] } });
    table.apply({
      kind: 'change',
      epoch: 'e',
      change: { revision: 2, type: 'updated', instance: instance('a', 'users', 1) },
    });
    expect(table.route('orders')?.upstreams).toEqual([]);
    expect(table.route('users')?.upstreams.map((u) => u.instance.id)).toEqual(['a']);
  });

  it('drops instances a same-epoch resync snapshot no longer has', () => {
    table = make();
    table.apply({
      kind: 'snapshot',
      epoch: 'e',
      snapshot: { revision: 1, instances: [instance('a', 'orders', 1), instance('b', 'orders', 2)] },
    });
    table.apply({ kind: 'snapshot', epoch: 'e', snapshot: { revision: 7, instances: [instance('b', 'orders', 2)] } });
    expect(table.route('orders')?.upstreams.map((u) => u.instance.id)).toEqual(['b']);
    expect(table.upstreamCount()).toBe(1);
  });

  it('computes the path prefix from the base path', () => {
    table = make();
    table.apply({
      kind: 'snapshot',
      epoch: 'e',
      snapshot: { revision: 1, instances: [instance('a', 'root', 1, '/'), instance('b', 'nested', 2, '/v1')] },
    });
    expect(table.route('root')?.upstreams[0]?.pathPrefix).toBe('');
    expect(table.route('nested')?.upstreams[0]?.pathPrefix).toBe('/v1');
  });

  it('rejects an unknown balancer by name', () => {
    table = make();
    expect(() => balancerFactory('random')).toThrow(
      /unknown balancer "random": choose one of round-robin, least-outstanding/,
    );
  });
});

describe('RoutingTable weights', () => {
  it('keeps weight-0 instances registered but out of rotation', async () => {
    const table = new RoutingTable(balancerFactory('round-robin'), testPolicy);
    const drained = { ...instance('a', 'orders', 1), weight: 0 };
    table.apply({
      kind: 'snapshot',
      epoch: 'e',
      snapshot: { revision: 1, instances: [drained, instance('b', 'orders', 2)] },
    });
    expect(table.route('orders')?.upstreams.map((u) => u.instance.id)).toEqual(['b']);
    table.apply({
      kind: 'change',
      epoch: 'e',
      change: { revision: 2, type: 'updated', instance: { ...drained, weight: 3 } },
    });
    expect(
      table
        .route('orders')
        ?.upstreams.map((u) => u.instance.id)
        .sort(),
    ).toEqual(['a', 'b']);
    expect(table.upstreamCount()).toBe(2);
    await table.close();
  });
});

describe('RoutingTable last-known-good', () => {
  it('keeps instances a restarted registry lacks for one lease, unless they re-register', async () => {
    vi.useFakeTimers();
    const table = new RoutingTable(balancerFactory('round-robin'), testPolicy);
    const withTtl = (id: string, port: number) => ({ ...instance(id, 'orders', port), ttlSeconds: 3, weight: 1 });
    table.apply({
      kind: 'snapshot',
      epoch: 'old',
      snapshot: { revision: 9, instances: [withTtl('a', 1), withTtl('b', 2)] },
    });
    // The registry restarts empty: nothing is dropped yet.
    table.apply({ kind: 'snapshot', epoch: 'new', snapshot: { revision: 0, instances: [] } });
    expect(table.route('orders')?.upstreams).toHaveLength(2);
    expect(table.staleCount()).toBe(2);
    // a re-registers with the new registry; b never does.
    vi.advanceTimersByTime(1_000);
    table.apply({
      kind: 'change',
      epoch: 'new',
      change: { revision: 1, type: 'registered', instance: withTtl('a', 1) },
    });
    expect(table.staleCount()).toBe(1);
    vi.advanceTimersByTime(2_500);
    expect(table.route('orders')?.upstreams.map((u) => u.instance.id)).toEqual(['a']);
    expect(table.staleCount()).toBe(0);
    vi.useRealTimers();
    await table.close();
  });

  it('treats a resync from the same epoch as the whole truth', async () => {
    const table = new RoutingTable(balancerFactory('round-robin'), testPolicy);
    table.apply({ kind: 'snapshot', epoch: 'e', snapshot: { revision: 1, instances: [instance('a', 'orders', 1)] } });
    table.apply({ kind: 'snapshot', epoch: 'e', snapshot: { revision: 50, instances: [] } });
    expect(table.route('orders')?.upstreams).toEqual([]);
    await table.close();
  });
});
