/**
 * Identity for services, end to end with real processes: the gateway forwards a signed identity
 * assertion, the SDK verifies it and hands the handler a typed caller, and a caller that
 * bypasses the gateway gets nothing from forged assertions or made-up identity headers.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ASSERTION_HEADER, ASSERTION_ISSUER, ASSERTION_TYPE } from '@portico/sdk';
import { decodeProtectedHeader, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCreator, signIn } from './support/admin.js';
import { type Json, request, waitUntil } from './support/http.js';
import { type PorticoProc, type ServiceProc, startPortico, startService } from './support/processes.js';

const PASSWORD = 'service-identity-admin-password';
const SECRET = 'service-identity-assertion-key-secret-0123456789';
const ORDERS_ENDPOINTS = JSON.stringify([
  { method: 'GET', path: '/public/*', public: true },
  { method: 'POST', path: '/orders/:id/refund', roles: ['clerk'] },
]);

/** A key of the test's own, published to the registry like a gateway's (with the secret). */
function testKey(kid: string): { kid: string; privateKey: KeyObject; jwk: Json } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'EdDSA', use: 'sig' } };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const claimsOf = (assertion: string): Json =>
  JSON.parse(Buffer.from(assertion.split('.')[1] as string, 'base64url').toString());

describe('identity assertions from the gateway to services', () => {
  let portico: PorticoProc;
  const services: Record<string, ServiceProc> = {};
  let admin = '';
  let carol = '';
  let apiKey = '';
  let trusted: ReturnType<typeof testKey>;

  const via = (service: string, path: string, headers: Record<string, string> = {}, method = 'GET') =>
    request(`${portico.publicUrl}/api/${service}${path}`, { method, headers });
  const direct = (service: string, path: string, headers: Record<string, string> = {}) =>
    request(`${(services[service] as ServiceProc).url}${path}`, { headers });
  const publish = (jwk: Json, authorization?: string) =>
    request(`${portico.adminUrl}/v1/registry/assertion-keys/${jwk.kid}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify({ jwk, ttlSeconds: 300 }),
    });
  /** An assertion signed by the test's published key: trusted by services, so claims alone decide. */
  const mint = (claims: Record<string, unknown>, key = trusted, header: Record<string, unknown> = {}) =>
    new SignJWT({
      iss: ASSERTION_ISSUER,
      aud: 'idorders',
      sub: 'u-mallory',
      kind: 'user',
      tid: 'acme',
      roles: [],
      permissions: [],
      scopes: [],
      auth_method: 'jwt',
      iat: Math.floor(Date.now() / 1000),
      exp: Math.floor(Date.now() / 1000) + 60,
      ...claims,
    })
      .setProtectedHeader({ alg: 'EdDSA', typ: ASSERTION_TYPE, kid: key.kid, ...header })
      .sign(key.privateKey);

  beforeAll(async () => {
    portico = await startPortico({ PORTICO_ADMIN_PASSWORD: PASSWORD, PORTICO_CLUSTER_SECRET: SECRET });
    admin = await signIn(portico, 'platform', 'admin', PASSWORD);
    const create = adminCreator(portico, admin);
    await create('/tenants', {
      name: 'acme',
      displayName: 'Acme',
      enabledServices: ['idorders', 'idbilling', 'idfastify'],
    });
    await create('/tenants/acme/roles', { name: 'clerk', permissions: ['orders.*'] });
    await create('/tenants/acme/users', { username: 'carol', password: 'carol-password-1', roles: ['clerk'] });
    apiKey = (await create('/tenants/acme/api-keys', { name: 'k', scopes: ['orders.read'] })).key;
    carol = await signIn(portico, 'acme', 'carol', 'carol-password-1');
    const registry = portico.adminUrl;
    const [orders, billing, fastify] = await Promise.all([
      startService('identity-service', registry, { SERVICE_NAME: 'idorders', ENDPOINTS_JSON: ORDERS_ENDPOINTS }),
      startService('identity-service', registry, { SERVICE_NAME: 'idbilling', AUTH_MODE: 'jwt' }),
      startService('identity-service', registry, { SERVICE_NAME: 'idfastify', FASTIFY: '1' }),
    ]);
    Object.assign(services, { idorders: orders, idbilling: billing, idfastify: fastify });
    trusted = testKey('test-published-key');
    const published = await publish(trusted.jwk, `Bearer ${SECRET}`);
    expect(published.status, published.text).toBe(200);
    // Room for the processes it starts (Portico, services), each allowed 60 s on a busy machine.
  }, 180_000);

  afterAll(async () => {
    await Promise.all(Object.values(services).map((service) => service.stop()));
    await portico?.stop();
  });

  it('hands the handler a verified caller with the tenant, roles, permissions and how it signed in', async () => {
    const reply = await via('idorders', '/orders/1', { authorization: `Bearer ${carol}` });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.data.caller).toMatchObject({
      kind: 'user',
      username: 'carol',
      tenant: 'acme',
      homeTenant: 'acme',
      roles: ['clerk'],
      permissions: ['orders.*'],
      authMethod: 'jwt',
      canReadOrders: true,
      canDeleteUsers: false,
      isClerk: true,
    });
    expect(reply.body.data.caller.userId).toBe(reply.body.data.caller.subject);
    const assertion = reply.body.data.headers[ASSERTION_HEADER];
    expect(decodeProtectedHeader(assertion)).toMatchObject({ alg: 'EdDSA', typ: ASSERTION_TYPE });
    expect(claimsOf(assertion)).toMatchObject({ aud: 'idorders', tid: 'acme', iss: ASSERTION_ISSUER });
    expect(claimsOf(assertion).exp - claimsOf(assertion).iat).toBe(60);

    const key = await via('idorders', '/orders/1', { 'x-api-key': apiKey });
    expect(key.status, key.text).toBe(200);
    expect(key.body.data.caller).toMatchObject({
      kind: 'api-key',
      userId: null,
      tenant: 'acme',
      roles: [],
      permissions: ['orders.read'],
      scopes: ['orders.read'],
      authMethod: 'api-key',
      canReadOrders: true,
    });

    const acting = await via('idorders', '/orders/1', { authorization: `Bearer ${admin}`, 'x-tenant-id': 'acme' });
    expect(acting.status, acting.text).toBe(200);
    expect(acting.body.data.caller).toMatchObject({ tenant: 'acme', homeTenant: 'platform', username: 'admin' });
    expect(acting.body.data.caller.roles).toContain('super_admin');
  });

  it('reuses one assertion across requests of the same caller (no signing per request)', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const reply = await via('idorders', `/orders/${i}`, { authorization: `Bearer ${carol}` });
      seen.add(reply.body.data.headers[ASSERTION_HEADER]);
    }
    expect(seen.size).toBe(1);
  });

  it('gives Fastify routes the caller as request.caller', async () => {
    const reply = await via('idfastify', '/anything', { authorization: `Bearer ${carol}` });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.data.caller).toMatchObject({ username: 'carol', tenant: 'acme', isClerk: true });
    expect((await direct('idfastify', '/anything')).status).toBe(401);
  });

  it('turns no made-up header into a caller, through the gateway or around it', async () => {
    const spoofed = {
      'x-user-id': 'u-admin',
      'x-user-roles': 'super_admin',
      'x-tenant-id': 'acme',
      'x-portico-assertion': 'forged',
    };
    const through = await via('idorders', '/orders/1', { authorization: `Bearer ${carol}`, ...spoofed });
    expect(through.status, through.text).toBe(200);
    expect(through.body.data.caller).toMatchObject({ username: 'carol', roles: ['clerk'] });
    expect(through.body.data.headers['x-user-id']).toBeUndefined();
    expect(through.body.data.headers[ASSERTION_HEADER]).not.toBe('forged');

    const { 'x-portico-assertion': _forged, ...identityOnly } = spoofed;
    const around = await direct('idorders', '/orders/1', identityOnly);
    expect(around.status).toBe(401);
    expect(around.body).toMatchObject({ success: false, error: { code: 'AUTHENTICATION_ERROR' } });
    expect((await direct('idorders', '/orders/1')).status).toBe(401);
  });

  it('refuses forged, replayed, expired and tampered assertions from a caller that bypasses the gateway', async () => {
    // The service fetched the keys when it started, before the test published its own; it asks
    // again for the unknown kid when its refetch cooldown ends.
    await waitUntil(
      async () => (await direct('idorders', '/orders/1', { [ASSERTION_HEADER]: await mint({}) })).status === 200,
      10_000,
      500,
    );
    const real = (await via('idorders', '/orders/1', { authorization: `Bearer ${carol}` })).body.data.headers[
      ASSERTION_HEADER
    ];
    const forBilling = (await via('idbilling', '/x', { authorization: `Bearer ${carol}` })).body.data.headers[
      ASSERTION_HEADER
    ];
    expect(claimsOf(forBilling).aud).toBe('idbilling');
    const gatewayKid = decodeProtectedHeader(real).kid as string;
    const [header, payload, signature] = real.split('.') as [string, string, string];
    const jwks = (await request(`${portico.adminUrl}/v1/registry/assertion-keys`)).text;
    const stranger = testKey('stranger');
    const now = Math.floor(Date.now() / 1000);
    const cases: Record<string, string> = {
      'alg none': new UnsecuredJWT(claimsOf(real)).encode(),
      'alg none, real kid': `${Buffer.from(JSON.stringify({ alg: 'none', typ: ASSERTION_TYPE, kid: gatewayKid })).toString('base64url')}.${payload}.`,
      'HS256 keyed with the public JWKS': await new SignJWT(claimsOf(real))
        .setProtectedHeader({ alg: 'HS256', typ: ASSERTION_TYPE, kid: gatewayKid })
        .sign(new TextEncoder().encode(jwks)),
      'assertion for another service (replayed to idorders)': forBilling,
      'tampered claims': `${header}.${Buffer.from(JSON.stringify({ ...claimsOf(real), roles: ['super_admin'] })).toString('base64url')}.${signature}`,
      'signed by an unknown key': await mint({}, stranger),
      "signed by an unknown key under the gateway's kid": await mint({}, { ...stranger, kid: gatewayKid }),
      'expired (trusted key)': await mint({ iat: now - 600, exp: now - 120 }),
      'wrong audience (trusted key)': await mint({ aud: 'idbilling' }),
      'wrong issuer (trusted key)': await mint({ iss: 'someone-else' }),
      'access token typ (trusted key)': await mint({}, trusted, { typ: 'at+jwt' }),
      "carol's access token as an assertion": carol,
      'embedded jwk': await mint({}, stranger, { jwk: stranger.jwk }),
      garbage: 'not.a.jws',
    };
    for (const [name, assertion] of Object.entries(cases)) {
      const reply = await direct('idorders', '/orders/1', { [ASSERTION_HEADER]: assertion });
      expect(reply.status, `${name}: ${reply.text}`).toBe(401);
      expect(reply.body.error.code, name).toBe('AUTHENTICATION_ERROR');
    }
    // The controls: what a trusted key signs correctly passes, so the cases above failed on their flaw.
    const control = await direct('idorders', '/orders/1', { [ASSERTION_HEADER]: await mint({ sub: 'u-control' }) });
    expect(control.status, control.text).toBe(200);
    expect(control.body.data.caller.subject).toBe('u-control');
    expect((await direct('idorders', '/orders/1', { [ASSERTION_HEADER]: real })).status).toBe(200);
  });

  it("opens the service's public paths without an assertion, and probes stay open", async () => {
    const open = await direct('idorders', '/public/info');
    expect(open.status, open.text).toBe(200);
    expect(open.body.data.caller).toBeNull();
    const viaGateway = await via('idorders', '/public/info');
    expect(viaGateway.status).toBe(200);
    expect(viaGateway.body.data.headers[ASSERTION_HEADER]).toBeUndefined();
    expect((await direct('idorders', '/health')).status).toBe(200);
    expect((await direct('idorders', '/public/../orders/1')).status).toBe(401);
    expect((await direct('idbilling', '/public/info')).status).toBe(401);
  });

  it('publishes keys only with the registry secret, and serves them as a JWKS', async () => {
    const intruder = testKey('intruder');
    expect((await publish(intruder.jwk)).status).toBe(401);
    expect((await publish(intruder.jwk, 'Bearer wrong-secret-wrong-secret-wrong-secret')).status).toBe(401);
    expect((await publish({ ...intruder.jwk, d: 'private' }, `Bearer ${SECRET}`)).status).toBe(400);
    const jwks = await request(`${portico.adminUrl}/v1/registry/assertion-keys`);
    expect(jwks.status).toBe(200);
    const kids = jwks.body.keys.map((key: Json) => key.kid);
    expect(kids).toContain(trusted.kid);
    expect(kids).not.toContain(intruder.kid);
    for (const key of jwks.body.keys) expect(key).not.toHaveProperty('d');
    const minted = await mint({}, intruder);
    expect((await direct('idorders', '/orders/1', { [ASSERTION_HEADER]: minted })).status).toBe(401);
  });
});

describe('identity assertions across a gateway restart', () => {
  it('a restarted gateway signs with a new key, and a running service fetches it on the unknown kid', async () => {
    const adminPort = String(await freePort());
    const env = {
      PORTICO_ADMIN_PASSWORD: PASSWORD,
      PORTICO_ADMIN_PORT: adminPort,
      PORTICO_DATA_DIR: mkdtempSync(join(tmpdir(), 'portico-rotation-')),
    };
    let portico = await startPortico(env);
    const service = await startService('identity-service', portico.adminUrl, {
      SERVICE_NAME: 'rotating',
      AUTH_MODE: 'jwt',
      HEARTBEAT_SECONDS: '1',
    });
    try {
      const call = async () => {
        const token = await signIn(portico, 'platform', 'admin', PASSWORD);
        return request(`${portico.publicUrl}/api/rotating/x`, { headers: { authorization: `Bearer ${token}` } });
      };
      const before = await call();
      expect(before.status, before.text).toBe(200);
      const oldKid = decodeProtectedHeader(before.body.data.headers[ASSERTION_HEADER]).kid;

      await portico.stop();
      portico = await startPortico(env);
      // The new registry learns of the service at its next heartbeat (404, then register again).
      let after = await call();
      await waitUntil(
        async () => {
          after = await call();
          // 404 until the service is back in the new registry; what comes next is the service's answer.
          return after.status !== 404;
        },
        15_000,
        200,
      );
      expect(after.status, after.text).toBe(200);
      const newKid = decodeProtectedHeader(after.body.data.headers[ASSERTION_HEADER]).kid;
      expect(newKid).not.toBe(oldKid);
      expect(after.body.data.caller).toMatchObject({ username: 'admin', tenant: 'platform' });
      const jwks = await request(`${portico.adminUrl}/v1/registry/assertion-keys`);
      expect(jwks.body.keys.map((key: Json) => key.kid)).toEqual([newKid]);
    } finally {
      await service.stop();
      await portico.stop();
    }
  }, 120_000);
});

describe('assertion keys between a gateway and a registry in separate processes', () => {
  it('the gateway publishes its key with the shared secret, and again into a registry that restarted empty', async () => {
    const adminPort = String(await freePort());
    const secret = { PORTICO_CLUSTER_SECRET: SECRET };
    let registry = await startPortico({ ...secret, PORTICO_ADMIN_PORT: adminPort }, 'registry');
    const gateway = await startPortico({ ...secret, PORTICO_REGISTRY_URL: registry.adminUrl }, 'gateway');
    const kidsOf = async () =>
      ((await request(`${registry.adminUrl}/v1/registry/assertion-keys`)).body?.keys ?? []).map((k: Json) => k.kid);
    try {
      const line = await gateway.waitForLine(/identity assertion key made/);
      const kid = JSON.parse(line).kid as string;
      await waitUntil(async () => (await kidsOf()).includes(kid), 5_000, 100);
      await registry.stop();
      registry = await startPortico({ ...secret, PORTICO_ADMIN_PORT: adminPort }, 'registry');
      // The new registry starts with no keys (memory); the gateway's renewal, every 10 s, puts its key back.
      await waitUntil(async () => (await kidsOf()).includes(kid), 15_000, 250);
    } finally {
      await gateway.stop();
      await registry.stop();
    }
    // Room for the processes it starts (Portico, services), each allowed 60 s on a busy machine.
  }, 180_000);
});
