import type { ServerResponse } from 'node:http';
import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { EndpointTable } from './endpoint-table.js';
import type { GatewayPolicy, PolicyDenial } from './gateway-policy.js';
import { BUILT_IN_POLICIES, policyCompiler, policyConfigProblems, runChain } from './index.js';
import type { PolicyExchange } from './policy-exchange.js';

describe('endpoint table', () => {
  const table = EndpointTable.compile([
    { method: 'GET', path: '/orders/:id', roles: ['param'] },
    { method: 'GET', path: '/orders/export', roles: ['static'] },
    { method: 'GET', path: '/orders/*', roles: ['wildcard'] },
    { method: '*', path: '/files/*', roles: ['any-method'] },
    { method: 'DELETE', path: '/files/*', roles: ['delete'] },
  ]);

  it('picks the most specific match: static, then parameter, then wildcard', () => {
    expect(table.match('GET', '/orders/export')?.roles).toEqual(['static']);
    expect(table.match('GET', '/orders/42')?.roles).toEqual(['param']);
    expect(table.match('GET', '/orders/42/lines')?.roles).toEqual(['wildcard']);
    expect(table.match('POST', '/orders/42')).toBeUndefined();
  });

  it('lets a method-specific endpoint beat `*` on the same path', () => {
    expect(table.match('DELETE', '/files/a')?.roles).toEqual(['delete']);
    expect(table.match('PUT', '/files/a')?.roles).toEqual(['any-method']);
  });

  it('reports a duplicate and keeps the first', () => {
    const twice = EndpointTable.compile([
      { method: 'GET', path: '/a', roles: ['first'] },
      { method: 'GET', path: '/a', roles: ['second'] },
    ]);
    expect(twice.conflicts).toEqual(['GET /a is declared twice']);
    expect(twice.match('GET', '/a')?.roles).toEqual(['first']);
  });
});

describe('policy chain', () => {
  const order: string[] = [];
  const policy = (
    name: string,
    priority: number,
    answer: (() => PolicyDenial | undefined) | 'async',
  ): GatewayPolicy => ({
    name,
    priority,
    schema: Type.Object({}),
    compile: () => () => {
      order.push(name);
      return answer === 'async' ? Promise.resolve(undefined) : answer();
    },
  });
  const exchangeFor = (compile: ReturnType<typeof policyCompiler>) => {
    const chain = compile({ service: 's', auth: 'any', endpoints: [] });
    if (!chain) throw new Error('no chain');
    return { chain, res: { destroyed: false, writableEnded: false } as ServerResponse } as unknown as PolicyExchange;
  };

  it('runs phases in priority order, waits for a promise, and passes at the end', async () => {
    order.length = 0;
    const compile = policyCompiler(
      [policy('a', 30, () => undefined), policy('b', 20, 'async'), policy('c', 10, () => undefined)],
      { identity: undefined },
      () => undefined,
    );
    const passed = new Promise<void>((resolve) =>
      runChain(exchangeFor(compile), { pass: () => resolve(), deny: () => {}, fail: () => {} }),
    );
    await passed;
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('stops at the first denial', () => {
    order.length = 0;
    const denial: PolicyDenial = { code: 'AUTHORIZATION_ERROR', message: 'no' };
    const compile = policyCompiler(
      [policy('a', 30, () => denial), policy('b', 20, () => undefined)],
      { identity: undefined },
      () => undefined,
    );
    let denied: PolicyDenial | undefined;
    runChain(exchangeFor(compile), { pass: () => {}, deny: (_e, d) => (denied = d), fail: () => {} });
    expect(denied).toBe(denial);
    expect(order).toEqual(['a']);
  });

  it('refuses a list out of priority order', () => {
    expect(() =>
      policyCompiler(
        [policy('low', 1, () => undefined), policy('high', 2, () => undefined)],
        { identity: undefined },
        () => undefined,
      ),
    ).toThrow(/high must come earlier/);
  });

  it('gives a fully public service no chain at all', () => {
    const compile = policyCompiler(BUILT_IN_POLICIES, { identity: undefined }, () => undefined);
    expect(
      compile({ service: 's', auth: 'public', endpoints: [{ method: 'GET', path: '/x', public: true }] }),
    ).toBeUndefined();
    expect(compile({ service: 's', auth: 'any', endpoints: [] })?.names).toEqual(['authentication']);
  });

  it('checks per-route configuration against each policy schema', () => {
    const where = ['services', 'orders', 'policies'];
    expect(policyConfigProblems(BUILT_IN_POLICIES, { authorization: { roles: ['clerk'] } }, where)).toEqual([]);
    expect(policyConfigProblems(BUILT_IN_POLICIES, { nope: {} }, where)[0]).toMatchObject({
      path: [...where, 'nope'],
      message: expect.stringMatching(/^is not a known policy/),
    });
    expect(policyConfigProblems(BUILT_IN_POLICIES, { authorization: { roles: 'clerk' } }, where)[0]?.path).toEqual([
      ...where,
      'authorization',
      'roles',
    ]);
  });
});
