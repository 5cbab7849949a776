import { describe, expect, it } from 'vitest';
import type { Instance } from '../registry-types.js';
import { InstanceView } from './instance-view.js';

function instance(id: string, service = 'orders', ttlSeconds = 3): Instance {
  return {
    id,
    service,
    host: '127.0.0.1',
    port: 1000,
    basePath: '/',
    version: '1.0.0',
    tags: [],
    weight: 1,
    metadata: {},
    auth: 'any',
    endpoints: [],
    ttlSeconds,
    status: 'up',
    registeredAt: '',
    lastHeartbeat: '',
    leaseExpiresAt: '',
    revision: 1,
  };
}

const ids = (list: readonly Instance[]) => list.map((i) => i.id).sort();

describe('InstanceView', () => {
  it('builds per-service lists from a snapshot and keeps them current with changes', () => {
    const view = new InstanceView();
    expect(view.synced).toBe(false);
    view.applySnapshot('e1', 2, [instance('a'), instance('b'), instance('u', 'users')]);
    expect(view.synced).toBe(true);
    expect(ids(view.instances('orders'))).toEqual(['a', 'b']);
    const before = view.instances('orders');
    view.applyChange({ revision: 3, type: 'registered', instance: instance('c') });
    view.applyChange({ revision: 4, type: 'removed', reason: 'deregistered', instance: instance('a') });
    expect(ids(view.instances('orders'))).toEqual(['b', 'c']);
    // A caller holding the earlier list keeps a consistent one.
    expect(ids(before)).toEqual(['a', 'b']);
    expect(view.revision).toBe(4);
    expect(view.instances('nobody')).toEqual([]);
  });

  it('moves an instance that changed service', () => {
    const view = new InstanceView();
    view.applySnapshot('e1', 1, [instance('a')]);
    view.applyChange({ revision: 2, type: 'updated', instance: instance('a', 'users') });
    expect(view.instances('orders')).toEqual([]);
    expect(ids(view.instances('users'))).toEqual(['a']);
  });

  it('takes a snapshot of the same epoch as the whole truth', () => {
    const view = new InstanceView();
    view.applySnapshot('e1', 1, [instance('a'), instance('b')]);
    view.applySnapshot('e1', 9, [instance('b')]);
    expect(ids(view.instances('orders'))).toEqual(['b']);
    expect(view.staleCount()).toBe(0);
  });

  it('keeps what a restarted registry lacks for one TTL, unless it registers again', () => {
    const view = new InstanceView();
    view.applySnapshot('e1', 5, [instance('a', 'orders', 3), instance('b', 'orders', 10)]);
    view.applySnapshot('e2', 0, [], 1_000);
    expect(ids(view.instances('orders'))).toEqual(['a', 'b']);
    expect(view.staleCount()).toBe(2);
    view.applyChange({ revision: 1, type: 'registered', instance: instance('b', 'orders', 10) });
    expect(view.staleCount()).toBe(1);
    expect(view.sweep(3_999)).toBe(true);
    expect(ids(view.instances('orders'))).toEqual(['a', 'b']);
    expect(view.sweep(4_000)).toBe(false);
    expect(ids(view.instances('orders'))).toEqual(['b']);
  });

  it('does not extend the grace of an instance on a second restart snapshot', () => {
    const view = new InstanceView();
    view.applySnapshot('e1', 1, [instance('a', 'orders', 3)]);
    view.applySnapshot('e2', 0, [], 0);
    view.applySnapshot('e3', 0, [], 2_000);
    view.sweep(3_000);
    expect(view.instances('orders')).toEqual([]);
  });
});
