import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { IdentityView } from '../../identity/identity-view.js';
import { authentication } from './authentication.js';
import type { AccessPhase, PolicyDenial } from './gateway-policy.js';
import type { PolicyExchange } from './policy-exchange.js';

/** The claim checks a real process cannot reach without identity's private key: forged here with our own. */
describe('authentication policy: access-token claims', () => {
  let view: IdentityView;
  let phase: AccessPhase;
  let jwk: JWK;
  let sign: (claims: Record<string, unknown>, header?: Record<string, unknown>) => Promise<string>;
  const now = Math.floor(Date.now() / 1000);
  const good = { tid: 'acme', roles: [], permissions: [], scope: '', sub: 'u1', jti: 'j1', iat: now, exp: now + 300 };

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
    view = new IdentityView();
    view.apply({
      kind: 'snapshot',
      snapshot: {
        jwks: { keys: [jwk] },
        keyExpiries: {},
        apiKeys: [],
        revocations: [],
        tenants: [],
        secretHashKey: randomBytes(32).toString('base64'),
        issuer: 'portico',
        audience: 'portico',
        algorithm: 'EdDSA',
      },
    });
    sign = (claims, header = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'EdDSA', kid: 'k1', typ: 'at+jwt', ...header })
        .setIssuer((claims.iss as string) ?? 'portico')
        .setAudience((claims.aud as string) ?? 'portico')
        .sign(privateKey);
    phase = authentication.compile({ service: 's', auth: 'jwt', endpoints: [] }, {}, { identity: view }) as AccessPhase;
  });

  const verdict = async (token: string) => {
    const exchange = {
      req: { headers: { authorization: `Bearer ${token}` } } as IncomingMessage,
      rest: '/x',
      path: '/x',
      endpoint: undefined,
    };
    return (await phase(exchange as unknown as PolicyExchange)) as PolicyDenial | undefined;
  };

  it('admits a well-formed token', async () => {
    expect(await verdict(await sign(good))).toBeUndefined();
  });

  it.each([
    ['expired', { ...good, exp: now - 60 }, {}],
    ['missing exp', { ...good, exp: undefined }, {}],
    ['future nbf', { ...good, nbf: now + 600 }, {}],
    ['wrong iss', { ...good, iss: 'someone-else' }, {}],
    ['wrong aud', { ...good, aud: 'another-api' }, {}],
    ['an ID token (typ JWT)', good, { typ: 'JWT' }],
    ['no typ', good, { typ: undefined }],
    ['missing tid claim', { ...good, tid: undefined }, {}],
  ] as const)('refuses %s with 401', async (_name, claims, header) => {
    const denial = await verdict(await sign(claims as Record<string, unknown>, header));
    expect(denial?.code).toBe('AUTHENTICATION_ERROR');
    expect(denial?.headers?.['www-authenticate']).toContain('error="invalid_token"');
  });

  it('refuses an opaque refresh token used as an access token', async () => {
    expect((await verdict(randomBytes(32).toString('base64url')))?.code).toBe('AUTHENTICATION_ERROR');
  });

  it('refuses a token whose key is past its rotation grace, even one verified before', async () => {
    const token = await sign(good);
    expect(await verdict(token)).toBeUndefined();
    // The key is still published, but its grace ended: the view must stop trusting it at once.
    const published = (await import('jose')).decodeProtectedHeader(token).kid as string;
    view.apply({
      kind: 'change',
      change: { type: 'keys', jwks: { keys: [jwk] }, expiries: { [published]: Date.now() - 1 } },
    });
    expect((await verdict(token))?.code).toBe('AUTHENTICATION_ERROR');
  });
});

describe('authentication policy without identity (gateway-only process)', () => {
  const phase = authentication.compile(
    { service: 'orders', auth: 'any', endpoints: [{ method: 'GET', path: '/open', public: true }] },
    {},
    { identity: undefined },
  ) as AccessPhase;
  const at = (path: string, endpoint?: { public?: boolean }) =>
    phase({ req: { headers: {} }, rest: path, path, endpoint } as unknown as PolicyExchange) as
      | PolicyDenial
      | undefined;

  it('serves public paths and answers 503 with a reason everywhere else', () => {
    expect(at('/open', { public: true })).toBeUndefined();
    const denial = at('/orders/1');
    expect(denial?.code).toBe('SERVICE_UNAVAILABLE');
    expect(denial?.message).toMatch(/without identity/);
    expect(at('/open/../orders', { public: true })?.code).toBe('SERVICE_UNAVAILABLE');
  });
});
