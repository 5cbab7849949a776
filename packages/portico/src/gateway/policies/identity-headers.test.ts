import { describe, expect, it } from 'vitest';
import { DEFAULT_STRIPPED_HEADERS, StrippedHeaders } from '../stripped-headers.js';
import type { GatewayPolicy } from './gateway-policy.js';
import { identityHeaders } from './identity-headers.js';
import { BUILT_IN_POLICIES, policyConfigProblems } from './index.js';
import type { PolicyExchange } from './policy-exchange.js';

describe('stripped headers', () => {
  const gateway = new StrippedHeaders(DEFAULT_STRIPPED_HEADERS);

  it('strips the core identity headers whatever the list says', () => {
    const none = new StrippedHeaders([]);
    for (const name of ['x-portico-assertion', 'x-user-id', 'x-user-roles', 'x-tenant-id']) {
      expect(none.has(name), name).toBe(true);
    }
    expect(none.has('x-consumer-id')).toBe(false);
  });

  it('strips exact names and prefixes of the list, and nothing else', () => {
    for (const name of ['x-consumer-id', 'x-consumer-custom-id', 'x-credential-identifier', 'x-roles', 'remote-user']) {
      expect(gateway.has(name), name).toBe(true);
    }
    for (const name of ['accept', 'authorization', 'x-request-id', 'x-rolesx', 'x-api-key', 'cookie', 'x-custom']) {
      expect(gateway.has(name), name).toBe(false);
    }
  });

  it('drops names with an underscore, and judges them as the dashed name when they are forwarded', () => {
    expect(gateway.has('x_custom')).toBe(true);
    const forwarding = new StrippedHeaders(DEFAULT_STRIPPED_HEADERS, 'forward');
    expect(forwarding.has('x_custom')).toBe(false);
    expect(forwarding.has('x_user_id')).toBe(true);
    expect(forwarding.has('x_consumer_id')).toBe(true);
  });

  it('keeps what a route keeps, but never a core header or its underscore look-alike', () => {
    const route = gateway.adjusted(['x-legacy-user'], ['x-roles', 'x-consumer-*', 'x_ts', 'x-user-id', 'x_user_id']);
    expect(route.has('x-roles')).toBe(false);
    expect(route.has('x-consumer-username')).toBe(false);
    expect(route.has('x_ts')).toBe(false);
    expect(route.has('x-legacy-user')).toBe(true);
    expect(route.has('x-user-id')).toBe(true);
    expect(route.has('x_user_id')).toBe(true);
    expect(route.has('x-permissions')).toBe(true);
    expect(route.has('x_other')).toBe(true);
  });
});

describe('identity headers policy', () => {
  const policies = BUILT_IN_POLICIES as readonly GatewayPolicy[];
  const problems = (config: unknown) =>
    policyConfigProblems(policies, { identityHeaders: config }, ['services', 'x', 'policies']);

  it('refuses a route that keeps a core identity header, naming the key', () => {
    expect(problems({ keep: ['x-roles', 'x-user-*', 'x_portico_assertion'] })).toEqual([
      {
        path: ['services', 'x', 'policies', 'identityHeaders', 'keep', '1'],
        message: expect.stringContaining('always stripped'),
      },
      {
        path: ['services', 'x', 'policies', 'identityHeaders', 'keep', '2'],
        message: expect.stringContaining('always stripped'),
      },
    ]);
    expect(problems({ strip: ['X-Upper'] })[0]?.path.join('.')).toBe('services.x.policies.identityHeaders.strip.0');
    expect(problems({ plain: 'yes' })).toHaveLength(1);
    expect(problems({ keep: ['x-roles'], strip: ['x-a', 'x-b*'], plain: true })).toEqual([]);
  });

  it('has no phase without settings, so a route without them costs nothing', () => {
    const access = { service: 's', auth: 'any' as const, endpoints: [] };
    expect(identityHeaders.compile(access, undefined, { identity: undefined })).toBeUndefined();
    expect(identityHeaders.compile(access, { plain: false }, { identity: undefined })).toBeUndefined();
  });

  it('sets the plain headers of a verified caller, percent-encoding what a header cannot carry', () => {
    const access = { service: 's', auth: 'any' as const, endpoints: [] };
    const phase = identityHeaders.compile(access, { plain: true }, { identity: undefined });
    const exchange = {
      principal: {
        kind: 'client',
        subject: 'svc-1',
        tenant: 'acme',
        roles: ['a', 'b'],
        permissions: [],
        scopes: ['x.read'],
        username: 'zoë',
      },
      tenant: undefined,
      forward: undefined,
    } as unknown as PolicyExchange;
    phase?.(exchange);
    expect(exchange.forward).toEqual({
      'x-consumer-id': 'svc-1',
      'x-consumer-username': 'zo%C3%AB',
      'x-credential-identifier': 'svc-1',
      'x-user-id': 'svc-1',
      'x-user-name': 'zo%C3%AB',
      'x-user-kind': 'client',
      'x-user-tenant': 'acme',
      'x-user-roles': 'a,b',
      'x-user-permissions': '',
      'x-user-scopes': 'x.read',
    });
  });
});
