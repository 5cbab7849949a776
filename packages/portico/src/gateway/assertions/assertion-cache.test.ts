import { ASSERTION_ISSUER, ASSERTION_TYPE } from '@portico/sdk';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../identity/model.js';
import { AssertionCache } from './assertion-cache.js';
import { AssertionSigner } from './assertion-signer.js';

const carol: Principal = {
  kind: 'user',
  subject: 'u-carol',
  tenant: 'acme',
  roles: ['clerk'],
  permissions: ['orders.*'],
  scopes: [],
  username: 'carol',
};

/** A signer that counts, and a clock the test moves. */
function setup(options: { maxEntries?: number } = {}) {
  const signer = new AssertionSigner();
  let signed = 0;
  let now = 1_700_000_000_000;
  const cache = new AssertionCache(
    {
      sign: (claims) => {
        signed++;
        return signer.sign(claims);
      },
    },
    { lifetimeSeconds: 60, renewBeforeSeconds: 20, now: () => now, ...options },
  );
  return {
    signer,
    cache,
    signed: () => signed,
    advance: (ms: number) => {
      now += ms;
    },
    now: () => now,
  };
}

describe('AssertionSigner', () => {
  it('makes compact EdDSA JWS that jose verifies with the published key, and only with it', async () => {
    const { signer, cache, now } = setup();
    const assertion = cache.assertionFor('orders', 'acme', carol, 'jwt');
    expect(decodeProtectedHeader(assertion)).toEqual({ alg: 'EdDSA', typ: ASSERTION_TYPE, kid: signer.kid });
    const key = await importJWK(signer.publicJwk, 'EdDSA');
    const { payload } = await jwtVerify(assertion, key, {
      algorithms: ['EdDSA'],
      typ: ASSERTION_TYPE,
      issuer: ASSERTION_ISSUER,
      audience: 'orders',
      currentDate: new Date(now()),
    });
    expect(payload).toMatchObject({
      sub: 'u-carol',
      kind: 'user',
      tid: 'acme',
      username: 'carol',
      roles: ['clerk'],
      permissions: ['orders.*'],
      scopes: [],
      auth_method: 'jwt',
      exp: Math.floor(now() / 1000) + 60,
    });
    expect(payload.home_tid).toBeUndefined();
    const other = await importJWK(new AssertionSigner().publicJwk, 'EdDSA');
    await expect(jwtVerify(assertion, other, { currentDate: new Date(now()) })).rejects.toThrow();
    expect(signer.publicJwk).not.toHaveProperty('d');
  });

  it('names the home tenant only when a caller acts in another one', async () => {
    const { signer, cache, now } = setup();
    const admin: Principal = { ...carol, tenant: 'platform', roles: ['super_admin'], permissions: ['*'] };
    const assertion = cache.assertionFor('orders', 'acme', admin, 'jwt');
    const key = await importJWK(signer.publicJwk, 'EdDSA');
    const { payload } = await jwtVerify(assertion, key, { currentDate: new Date(now()) });
    expect(payload).toMatchObject({ tid: 'acme', home_tid: 'platform' });
  });
});

describe('AssertionCache', () => {
  it('signs once per caller, tenant and service, and reuses it until it nears expiry', () => {
    const { cache, signed, advance } = setup();
    const first = cache.assertionFor('orders', 'acme', carol, 'jwt');
    for (let i = 0; i < 100; i++) expect(cache.assertionFor('orders', 'acme', { ...carol }, 'jwt')).toBe(first);
    expect(signed()).toBe(1);
    advance(39_000);
    expect(cache.assertionFor('orders', 'acme', carol, 'jwt')).toBe(first);
    expect(signed()).toBe(1);
    // 20 s before it expires, it is signed again.
    advance(1_000);
    const renewed = cache.assertionFor('orders', 'acme', carol, 'jwt');
    expect(renewed).not.toBe(first);
    expect(signed()).toBe(2);
    expect(cache.assertionFor('orders', 'acme', carol, 'jwt')).toBe(renewed);
    expect(cache.size).toBe(1);
  });

  it('keeps apart what differs: service (audience), tenant, auth method, subject', () => {
    const { cache, signed } = setup();
    const a = cache.assertionFor('orders', 'acme', carol, 'jwt');
    const variants = [
      cache.assertionFor('billing', 'acme', carol, 'jwt'),
      cache.assertionFor('orders', 'globex', carol, 'jwt'),
      cache.assertionFor('orders', 'acme', carol, 'api-key'),
      cache.assertionFor('orders', 'acme', { ...carol, subject: 'u-other' }, 'jwt'),
    ];
    expect(new Set([a, ...variants]).size).toBe(5);
    expect(signed()).toBe(5);
  });

  it('signs again at once when the same caller comes with other roles, permissions or scopes', () => {
    const { cache, signed } = setup();
    const before = cache.assertionFor('orders', 'acme', carol, 'jwt');
    const demoted = cache.assertionFor('orders', 'acme', { ...carol, roles: ['viewer'] }, 'jwt');
    expect(demoted).not.toBe(before);
    const narrowed = cache.assertionFor('orders', 'acme', { ...carol, roles: ['viewer'], permissions: [] }, 'jwt');
    expect(narrowed).not.toBe(demoted);
    const scoped = cache.assertionFor(
      'orders',
      'acme',
      { ...carol, roles: ['viewer'], permissions: [], scopes: ['x'] },
      'jwt',
    );
    expect(scoped).not.toBe(narrowed);
    expect(signed()).toBe(4);
    expect(cache.size).toBe(1);
  });

  it('stays within its bound, dropping the oldest entry first', () => {
    const { cache, signed } = setup({ maxEntries: 3 });
    const callers = ['a', 'b', 'c', 'd'].map((subject) => ({ ...carol, subject }));
    const first = callers.map((p) => cache.assertionFor('orders', 'acme', p, 'jwt'));
    expect(cache.size).toBe(3);
    expect(signed()).toBe(4);
    // d is still there; a was dropped and is signed again (same claims, same clock: same bytes).
    expect(cache.assertionFor('orders', 'acme', callers[3] as Principal, 'jwt')).toBe(first[3]);
    expect(signed()).toBe(4);
    expect(cache.assertionFor('orders', 'acme', callers[0] as Principal, 'jwt')).toBe(first[0]);
    expect(signed()).toBe(5);
    for (let i = 0; i < 1_000; i++) cache.assertionFor('orders', 'acme', { ...carol, subject: `s${i}` }, 'jwt');
    expect(cache.size).toBe(3);
  });
});
