import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { IdentitySnapshot } from './identity-port.js';
import { IdentityView } from './identity-view.js';

/** A gateway's view that missed a key change: a token under the new `kid` makes it ask for a snapshot. */
describe('identity view: unknown key id', () => {
  const now = Math.floor(Date.now() / 1000);
  const claims = { tid: 'acme', roles: [], permissions: [], scope: '', sub: 'u1', jti: 'j1', iat: now, exp: now + 300 };
  const keys: { jwk: JWK; sign: (kid?: string) => Promise<string> }[] = [];

  beforeAll(async () => {
    for (const kid of ['old', 'new']) {
      const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
      const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
      const sign = (asKid = kid) =>
        new SignJWT(claims)
          .setProtectedHeader({ alg: 'EdDSA', kid: asKid, typ: 'at+jwt' })
          .setIssuer('portico')
          .setAudience('portico')
          .sign(privateKey);
      keys.push({ jwk, sign });
    }
  });

  const snapshot = (jwks: JWK[]): IdentitySnapshot => ({
    jwks: { keys: jwks },
    keyExpiries: {},
    apiKeys: [],
    revocations: [],
    tenants: [],
    secretHashKey: randomBytes(32).toString('base64'),
    issuer: 'portico',
    audience: 'portico',
    algorithm: 'EdDSA',
  });

  it('asks for a fresh snapshot and admits the token once the new key arrived', async () => {
    let resyncs = 0;
    const view: IdentityView = new IdentityView({
      resync: () => {
        resyncs++;
        // The port answers later, as a reconnected stream would.
        setTimeout(() => view.apply({ kind: 'snapshot', snapshot: snapshot(keys.map((k) => k.jwk)) }), 20);
      },
    });
    view.apply({ kind: 'snapshot', snapshot: snapshot([(keys[0] as (typeof keys)[0]).jwk]) });
    const principal = await view.verifyAccessToken(await (keys[1] as (typeof keys)[0]).sign());
    expect(principal.subject).toBe('u1');
    expect(resyncs).toBe(1);
  });

  it('asks at most once per interval, so forged key ids cannot flood identity', async () => {
    let resyncs = 0;
    const view = new IdentityView({ resync: () => resyncs++, resyncIntervalMs: 60_000 });
    view.apply({ kind: 'snapshot', snapshot: snapshot([(keys[0] as (typeof keys)[0]).jwk]) });
    const forged = await Promise.all(['x1', 'x2', 'x3'].map((kid) => (keys[0] as (typeof keys)[0]).sign(kid)));
    const started = performance.now();
    // Concurrent ones share the one resync in flight; it gives up after 1 s without a snapshot.
    const outcomes = await Promise.allSettled(forged.map((token) => view.verifyAccessToken(token)));
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    expect(performance.now() - started).toBeLessThan(3_000);
    await expect(view.verifyAccessToken(forged[0] as string)).rejects.toMatchObject({ code: 'AUTHENTICATION_ERROR' });
    expect(resyncs).toBe(1);
  });

  it('refuses an unknown key at once when nothing can be refetched (all-in-one)', async () => {
    const view = new IdentityView();
    view.apply({ kind: 'snapshot', snapshot: snapshot([(keys[0] as (typeof keys)[0]).jwk]) });
    await expect(view.verifyAccessToken(await (keys[1] as (typeof keys)[0]).sign())).rejects.toMatchObject({
      code: 'AUTHENTICATION_ERROR',
    });
  });
});
