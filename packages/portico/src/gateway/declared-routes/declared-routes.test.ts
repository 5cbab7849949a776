import { describe, expect, it } from 'vitest';
import { DeclaredRoute } from './declared-route.js';
import { DeclaredRouteSet, RouteConflictError, RouteLockedError } from './declared-route-set.js';
import type { DeclaredRouteSpec } from './declared-route-spec.js';
import { findConflicts, groupByMethodAndPath } from './route-conflicts.js';

const spec = (name: string, more: Partial<DeclaredRouteSpec> = {}): DeclaredRouteSpec => ({
  name,
  paths: ['/shop/*'],
  service: 'orders',
  ...more,
});
const route = (name: string, more: Partial<DeclaredRouteSpec> = {}) => new DeclaredRoute(spec(name, more), 'api');

describe('declared routes', () => {
  it('strips a prefix on whole segments only', () => {
    const shop = route('shop', { stripPrefix: '/shop' });
    expect(shop.forwardedPath('/shop/orders/1?x=1')).toBe('/orders/1?x=1');
    expect(shop.forwardedPath('/shop')).toBe('/');
    expect(shop.forwardedPath('/shop?q=1')).toBe('/?q=1');
    expect(shop.forwardedPath('/shopping/1')).toBe('/shopping/1');
    expect(route('plain').forwardedPath('/shop/x')).toBe('/shop/x');
  });

  it('takes exact hosts and wildcard subdomains, any case, port ignored', () => {
    const hosted = route('h', { hosts: ['api.example.com', '*.shop.example.com'] });
    expect(hosted.takesHost('api.example.com')).toBe(true);
    expect(hosted.takesHost('API.Example.com:8080')).toBe(true);
    expect(hosted.takesHost('eu.shop.example.com')).toBe(true);
    expect(hosted.takesHost('shop.example.com')).toBe(false);
    expect(hosted.takesHost('example.com')).toBe(false);
    expect(hosted.takesHost(undefined)).toBe(false);
    expect(route('any').takesHost(undefined)).toBe(true);
  });

  it('finds two routes that would take the same requests at the same priority', () => {
    expect(findConflicts([route('a'), route('b')])).toEqual([
      'routes "a" and "b" both take GET /shop/* on any host at priority 0: give one a higher priority, other methods or other hosts',
    ]);
    expect(findConflicts([route('a', { paths: ['/o/:id'] }), route('b', { paths: ['/o/:orderId'] })])).toHaveLength(1);
    expect(findConflicts([route('a', { methods: ['GET'] }), route('b', { methods: ['POST'] })])).toEqual([]);
    expect(findConflicts([route('a'), route('b', { priority: 1 })])).toEqual([]);
    expect(findConflicts([route('a', { hosts: ['a.test'] }), route('b', { hosts: ['b.test'] })])).toEqual([]);
    expect(findConflicts([route('a', { hosts: ['a.test'] }), route('b')])).toEqual([]);
    expect(
      findConflicts([route('a', { hosts: ['a.test', 'c.test'] }), route('b', { hosts: ['c.test'] })])[0],
    ).toContain('on host c.test');
    expect(findConflicts([route('a', { paths: ['/shop/*'] }), route('b', { paths: ['/shop/:id'] })])).toEqual([]);
  });

  it('orders routes on one path by priority, then host, then method specificity', () => {
    const entries = groupByMethodAndPath([
      route('low-any', { priority: -1 }),
      route('host', { priority: -1, hosts: ['a.test'] }),
      route('get-only', { priority: -1, methods: ['GET'], hosts: ['*.test'] }),
      route('high', { priority: 5, methods: ['POST'] }),
    ]);
    const get = entries.find((e) => e.method === 'GET');
    expect(get?.candidates.map((r) => r.name)).toEqual(['host', 'get-only', 'low-any']);
    const post = entries.find((e) => e.method === 'POST');
    expect(post?.candidates.map((r) => r.name)).toEqual(['high', 'host', 'low-any']);
  });

  it('refuses a conflicting change whole and keeps the routes as they were', () => {
    const set = new DeclaredRouteSet([spec('configured', { paths: ['/c'] })]);
    let changes = 0;
    set.onChange(() => changes++);
    expect(set.put(spec('a'))).toBe(true);
    expect(() => set.put(spec('b'))).toThrow(RouteConflictError);
    expect(set.list().map((r) => r.name)).toEqual(['configured', 'a']);
    expect(set.put(spec('a', { methods: ['GET'] }))).toBe(false);
    expect(set.put(spec('b', { methods: ['POST'] }))).toBe(true);
    expect(changes).toBe(3);
    expect(() => set.put(spec('configured'))).toThrow(RouteLockedError);
    expect(() => set.delete('configured')).toThrow(RouteLockedError);
    expect(set.delete('a')).toBe(true);
    expect(set.delete('a')).toBe(false);
  });

  it('runs the gateway check on every change, and on the routes already there when it is set', () => {
    const set = new DeclaredRouteSet([spec('health', { paths: ['/health'] })]);
    const taken = (routes: readonly DeclaredRoute[]) => {
      if (routes.some((r) => r.spec.paths.includes('/health'))) throw new RouteConflictError('taken');
    };
    expect(() => set.setCheck(taken)).toThrow('taken');
    const fresh = new DeclaredRouteSet();
    fresh.setCheck(taken);
    expect(() => fresh.put(spec('h', { paths: ['/health'] }))).toThrow('taken');
    expect(fresh.list()).toEqual([]);
  });

  it('refuses a name declared twice in the configuration', () => {
    expect(() => new DeclaredRouteSet([spec('a', { paths: ['/a'] }), spec('a', { paths: ['/b'] })])).toThrow(
      'route "a" is declared twice',
    );
  });
});
