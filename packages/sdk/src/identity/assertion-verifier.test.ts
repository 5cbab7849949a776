import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSERTION_ISSUER, ASSERTION_TYPE } from './assertion-contract.js';
import { AssertionKeys } from './assertion-keys.js';
import { AssertionVerifier } from './assertion-verifier.js';

function keyPair(kid: string) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'EdDSA', use: 'sig' } };
}

const claims = {
  iss: ASSERTION_ISSUER,
  sub: 'u-1',
  kind: 'user',
  tid: 'acme',
  roles: ['clerk'],
  permissions: ['orders.*'],
  scopes: [],
  auth_method: 'jwt',
};

function sign(privateKey: KeyObject, kid: string, extra: Record<string, unknown> = {}, aud = 'orders') {
  return new SignJWT({ ...claims, ...extra })
    .setProtectedHeader({ alg: 'EdDSA', typ: ASSERTION_TYPE, kid })
    .setAudience(aud)
    .setIssuedAt()
    .setExpirationTime('60s')
    .sign(privateKey);
}

describe('AssertionVerifier', () => {
  let server: Server;
  let url = '';
  let published: Record<string, unknown>[] = [];
  let fetches = 0;
  let down = false;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      fetches++;
      if (down) {
        res.writeHead(503).end();
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/registry/assertion-keys`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('verifies once, then answers the same assertion synchronously from its cache', async () => {
    const k = keyPair('k1');
    published = [k.jwk];
    const verifier = new AssertionVerifier('orders', new AssertionKeys(url));
    const assertion = await sign(k.privateKey, 'k1');
    const first = verifier.verify(assertion);
    expect(first).toBeInstanceOf(Promise);
    const caller = await first;
    expect(caller).toMatchObject({
      subject: 'u-1',
      userId: 'u-1',
      tenant: 'acme',
      homeTenant: 'acme',
      roles: ['clerk'],
    });
    expect(caller.can('orders.refund')).toBe(true);
    expect(caller.can('users.read')).toBe(false);
    expect(caller.hasRole('clerk')).toBe(true);
    const again = verifier.verify(assertion);
    expect(again).not.toBeInstanceOf(Promise);
    expect(again).toBe(caller);
  });

  it('refuses another audience, a foreign key, a wrong typ and a malformed claim set', async () => {
    const k = keyPair('k2');
    const stranger = keyPair('k2');
    published = [k.jwk];
    const verifier = new AssertionVerifier('orders', new AssertionKeys(url));
    const bad = {
      'other audience': await sign(k.privateKey, 'k2', {}, 'billing'),
      'foreign key, real kid': await sign(stranger.privateKey, 'k2'),
      'access token typ': await new SignJWT(claims)
        .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k2' })
        .setAudience('orders')
        .setIssuedAt()
        .setExpirationTime('60s')
        .sign(k.privateKey),
      'roles not a list': await sign(k.privateKey, 'k2', { roles: 'super_admin' }),
      'no tenant': await sign(k.privateKey, 'k2', { tid: undefined }),
    };
    for (const [name, assertion] of Object.entries(bad)) {
      await expect(
        Promise.resolve().then(() => verifier.verify(assertion)),
        name,
      ).rejects.toMatchObject({
        code: 'AUTHENTICATION_ERROR',
      });
    }
  });

  it('fetches the keys again for an unknown kid, at most once per cooldown', async () => {
    const k = keyPair('old');
    published = [k.jwk];
    const keys = new AssertionKeys(url, { cooldownMs: 300 });
    const verifier = new AssertionVerifier('orders', keys);
    await verifier.verify(await sign(k.privateKey, 'old'));
    const before = fetches;
    // Forged kids inside the cooldown share the one fetch that ends it, then are refused.
    const forged = await Promise.allSettled(
      Array.from({ length: 20 }, async (_, i) => verifier.verify(await sign(k.privateKey, `forged-${i}`))),
    );
    for (const outcome of forged) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'AUTHENTICATION_ERROR' } });
    }
    expect(fetches - before).toBe(1);
  });

  it('accepts a new key published moments after the last fetch, waiting out the cooldown', async () => {
    const k = keyPair('first');
    published = [k.jwk];
    const keys = new AssertionKeys(url, { cooldownMs: 300 });
    const verifier = new AssertionVerifier('orders', keys);
    await verifier.verify(await sign(k.privateKey, 'first'));
    // A gateway restarted with a new key right after that fetch: its first request still passes.
    const rotated = keyPair('rotated');
    published = [rotated.jwk];
    const started = Date.now();
    await expect(verifier.verify(await sign(rotated.privateKey, 'rotated'))).resolves.toMatchObject({
      subject: 'u-1',
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('keeps verifying with the keys it has while the registry is away; an unknown kid then is 503', async () => {
    const k = keyPair('kept');
    published = [k.jwk];
    const verifier = new AssertionVerifier('orders', new AssertionKeys(url, { cooldownMs: 0, maxAgeMs: 0 }));
    await verifier.verify(await sign(k.privateKey, 'kept'));
    down = true;
    try {
      await expect(verifier.verify(await sign(k.privateKey, 'kept', { sub: 'u-2' }))).resolves.toMatchObject({
        subject: 'u-2',
      });
      await expect(verifier.verify(await sign(k.privateKey, 'unknown'))).rejects.toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
      });
    } finally {
      down = false;
    }
  });
});
