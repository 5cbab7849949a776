/**
 * Gateway authentication against a real Portico process: the echo fixture registered with
 * `auth` and `endpoints`, credentials from the identity admin API, and tokens forged with jose.
 */
import { request as rawRequest } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCreator, signIn } from './support/admin.js';
import { postJson, request } from './support/http.js';
import { type PorticoProc, type ServiceProc, startPortico, startService } from './support/processes.js';

const PASSWORD = 'gateway-auth-admin-password';

describe('gateway authentication', () => {
  let portico: PorticoProc;
  const services: ServiceProc[] = [];
  let token = '';
  let apiKey = '';
  let realKid = '';
  const users: Record<string, string> = {};

  const call = (service: string, path: string, headers: Record<string, string> = {}) =>
    request(`${portico.publicUrl}/api/${service}${path}`, { headers });

  beforeAll(async () => {
    portico = await startPortico({ PORTICO_ADMIN_PASSWORD: PASSWORD });
    token = await signIn(portico, 'platform', 'admin', PASSWORD);
    const create = adminCreator(portico, token);
    const enabledServices = ['anyauth', 'jwtonly', 'keyonly', 'defaulted', 'orders'];
    await create('/tenants', { name: 'acme', displayName: 'Acme', enabledServices });
    await create('/tenants', { name: 'globex', displayName: 'Globex', enabledServices: ['orders'] });
    await create('/tenants', { name: 'initech', displayName: 'Initech', enabledServices: ['orders'] });
    const disabled = await request(`${portico.adminUrl}/v1/admin/tenants/initech`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'disabled' }),
    });
    expect(disabled.status, disabled.text).toBe(200);
    await create('/tenants/acme/roles', { name: 'clerk', permissions: ['orders.*'] });
    await create('/tenants/acme/roles', { name: 'viewer', permissions: ['orders.read'] });
    await create('/tenants/acme/users', { username: 'carol', password: 'carol-password-1', roles: ['clerk'] });
    await create('/tenants/acme/users', { username: 'vic', password: 'vic-password-1', roles: ['viewer'] });
    await create('/tenants/globex/users', { username: 'gus', password: 'gus-password-1' });
    apiKey = (await create('/tenants/acme/api-keys', { name: 'k' })).key;
    for (const [tenant, username] of [
      ['acme', 'carol'],
      ['acme', 'vic'],
      ['globex', 'gus'],
    ] as const) {
      const reply = await postJson(`${portico.publicUrl}/auth/login`, {
        tenant,
        username,
        password: `${username}-password-1`,
      });
      users[username] = reply.body.data.accessToken;
    }
    realKid = (await request(`${portico.publicUrl}/.well-known/jwks.json`)).body.keys[0].kid;
    const endpoints = JSON.stringify([
      { method: 'GET', path: '/open/*', public: true },
      { method: '*', path: '/open/closed', roles: ['clerk'] },
    ]);
    const registry = portico.adminUrl;
    services.push(
      ...(await Promise.all([
        startService('echo-service', registry, {
          SERVICE_NAME: 'anyauth',
          AUTH_MODE: 'any',
          ENDPOINTS_JSON: endpoints,
        }),
        startService('echo-service', registry, { SERVICE_NAME: 'jwtonly', AUTH_MODE: 'jwt' }),
        startService('echo-service', registry, { SERVICE_NAME: 'keyonly', AUTH_MODE: 'api-key' }),
        startService('echo-service', registry, { SERVICE_NAME: 'defaulted', AUTH_MODE: 'any' }),
        startService('echo-service', registry, {
          SERVICE_NAME: 'orders',
          AUTH_MODE: 'any',
          ENDPOINTS_JSON: JSON.stringify([
            { method: 'GET', path: '/public/info', public: true },
            { method: 'GET', path: '/orders/:id', permissions: ['orders.read'] },
            { method: 'POST', path: '/orders/:id/refund', roles: ['clerk'], permissions: ['orders.refund'] },
          ]),
        }),
      ])),
    );
  }, 90_000);
  afterAll(async () => {
    await Promise.all(services.map((service) => service.stop()));
    await portico?.stop();
  });

  it('refuses an anonymous caller with 401, the envelope and a challenge for the mode', async () => {
    const anonymous = await call('anyauth', '/orders/1');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ success: false, error: { code: 'AUTHENTICATION_ERROR' } });
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="portico", ApiKey realm="portico"');
    expect((await call('jwtonly', '/x')).headers.get('www-authenticate')).toBe('Bearer realm="portico"');
    expect((await call('keyonly', '/x')).headers.get('www-authenticate')).toBe('ApiKey realm="portico"');
  });

  it('opens public endpoints (most specific match wins) and nothing else', async () => {
    expect((await call('anyauth', '/open/a/b')).status).toBe(200);
    expect((await call('anyauth', '/open/closed')).status).toBe(401);
    expect((await call('anyauth', '/opened')).status).toBe(401);
    expect((await call('anyauth', '/open/a', {})).status).toBe(200);
    const post = await request(`${portico.publicUrl}/api/anyauth/open/a`, { method: 'POST' });
    expect(post.status, 'the public endpoint is GET only').toBe(401);
  });

  it('refuses dot segments that a service could resolve to a path no policy checked', async () => {
    // fetch() would normalise these URLs; the raw client sends them as a caller could.
    const raw = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const url = new URL(portico.publicUrl);
        rawRequest({ host: url.hostname, port: url.port, path }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
    for (const path of ['/open/../x', '/open/%2e%2e/x', '/open/%2E./x', '/open/..%2fx', '/open/..\\x']) {
      expect(await raw(`/api/anyauth${path}`), path).toBe(400);
    }
    expect(await raw('/api/anyauth/open/v1.2/notes..txt')).toBe(200);
  });

  it('accepts a Bearer token, x-api-key and Authorization: ApiKey where the mode allows them', async () => {
    expect((await call('defaulted', '/x', { authorization: `Bearer ${token}` })).status).toBe(200);
    expect((await call('defaulted', '/x', { 'x-api-key': apiKey })).status).toBe(200);
    expect((await call('defaulted', '/x', { authorization: `ApiKey ${apiKey}` })).status).toBe(200);
    expect((await call('jwtonly', '/x', { authorization: `Bearer ${token}` })).status).toBe(200);
    expect((await call('jwtonly', '/x', { 'x-api-key': apiKey })).status).toBe(401);
    expect((await call('keyonly', '/x', { 'x-api-key': apiKey })).status).toBe(200);
    expect((await call('keyonly', '/x', { authorization: `Bearer ${token}` })).status).toBe(401);
  });

  it('refuses credentials in the query string, ambiguous or unknown schemes, and bad API keys', async () => {
    for (const query of [`access_token=${token}`, `api_key=${apiKey}`, `token=${token}`]) {
      expect((await call('defaulted', `/x?${query}`)).status, query).toBe(401);
    }
    expect((await call('defaulted', `/x?access_token=${token}`, { authorization: `Bearer ${token}` })).status).toBe(
      401,
    );
    expect((await call('defaulted', '/x', { authorization: `Bearer ${token}`, 'x-api-key': apiKey })).status).toBe(401);
    expect((await call('defaulted', '/x', { authorization: `Basic ${btoa('a:b')}` })).status).toBe(401);
    expect((await call('defaulted', '/x', { authorization: 'Bearer' })).status).toBe(401);
    expect((await call('defaulted', '/x', { 'x-api-key': `${apiKey}x` })).status).toBe(401);
    expect((await call('defaulted', '/x', { 'x-api-key': 'pk_nothing' })).status).toBe(401);
  });

  it('answers an oversized Authorization header with 431', async () => {
    const huge = await call('defaulted', '/x', { authorization: `Bearer ${'a'.repeat(9000)}` });
    expect(huge.status).toBe(431);
  });

  it('rejects forged and malformed tokens with 401', async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const jwk = await exportJWK(publicKey);
    const [header, payload] = token.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const now = Math.floor(Date.now() / 1000);
    const forge = (protectedHeader: Record<string, unknown>, body: Record<string, unknown> = claims) =>
      new SignJWT(body).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', ...protectedHeader }).sign(privateKey);
    const realJwks = (await request(`${portico.publicUrl}/.well-known/jwks.json`)).text;
    const hs256 = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: realKid })
      .sign(new TextEncoder().encode(realJwks));
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, tid: 'acme', roles: ['super_admin'] })).toString('base64url')}.${token.split('.')[2]}`;
    const cases: Record<string, string> = {
      'alg none': new UnsecuredJWT(claims).encode(),
      'alg None': `${Buffer.from(JSON.stringify({ alg: 'None', typ: 'at+jwt' })).toString('base64url')}.${payload}.`,
      'HS256 signed with the public key': hs256,
      'embedded jwk': await forge({ jwk, kid: realKid }),
      'jku to another host': await forge({ jku: 'http://127.0.0.1:1/jwks.json', kid: realKid }),
      'x5u to another host': await forge({ x5u: 'http://127.0.0.1:1/cert.pem', kid: realKid }),
      'unknown kid': await forge({ kid: 'not-a-known-kid' }),
      'hostile kid (path)': await forge({ kid: '../../../../etc/passwd' }),
      'hostile kid (sql)': await forge({ kid: "' OR 1=1 --" }),
      'hostile kid (huge)': await forge({ kid: 'k'.repeat(4000) }),
      'real kid, foreign key': await forge({ kid: realKid }),
      'tampered payload': tampered,
      'expired (foreign key)': await forge({ kid: realKid }, { ...claims, exp: now - 3600 }),
      'two segments': `${header}.${payload}`,
      'four segments': `${token}.x`,
      'not base64': '!!!.???.***',
      garbage: 'garbage',
    };
    for (const [name, forged] of Object.entries(cases)) {
      const reply = await call('jwtonly', '/x', { authorization: `Bearer ${forged}` });
      expect(reply.status, name).toBe(401);
      expect(reply.body?.error?.code, name).toBe('AUTHENTICATION_ERROR');
    }
  });

  describe('tenancy and authorization', () => {
    const as = (who: string, method: string, path: string, headers: Record<string, string> = {}) =>
      request(`${portico.publicUrl}/api/orders${path}`, {
        method,
        headers: { authorization: `Bearer ${who === 'admin' ? token : users[who]}`, ...headers },
      });

    it("lets a caller through only with the endpoint's roles and permissions (wildcards count)", async () => {
      const matrix: [string, string, string, number][] = [
        ['carol', 'GET', '/orders/1', 200],
        ['carol', 'POST', '/orders/1/refund', 200],
        ['vic', 'GET', '/orders/1', 200],
        ['vic', 'POST', '/orders/1/refund', 403],
        ['gus', 'GET', '/orders/1', 403],
        ['gus', 'POST', '/orders/1/refund', 403],
        ['gus', 'GET', '/anything-else', 200],
        ['admin', 'POST', '/orders/1/refund', 200],
      ];
      for (const [who, method, path, expected] of matrix) {
        const reply = await as(who, method, path);
        expect(reply.status, `${who} ${method} ${path}: ${reply.text}`).toBe(expected);
        if (expected === 403) expect(reply.body.error.code).toBe('AUTHORIZATION_ERROR');
      }
      const key = await call('orders', '/orders/1', { 'x-api-key': apiKey });
      expect(key.status, 'an API key without scopes has no permission').toBe(403);
    });

    it('keeps every caller in its own tenant; platform admins may name any', async () => {
      const cases: [string, string | undefined, string, number, string?][] = [
        ['carol', 'globex', '/orders/1', 403, 'AUTHORIZATION_ERROR'],
        ['gus', 'acme', '/orders/1', 403, 'AUTHORIZATION_ERROR'],
        ['carol', 'ACME', '/orders/1', 200],
        ['admin', 'globex', '/anything', 200],
        ['admin', 'nope', '/anything', 404, 'NOT_FOUND'],
        ['admin', 'initech', '/anything', 403, 'AUTHORIZATION_ERROR'],
      ];
      for (const [who, tenant, path, expected, code] of cases) {
        const reply = await as(who, 'GET', path, tenant ? { 'x-tenant-id': tenant } : {});
        expect(reply.status, `${who} as ${tenant}: ${reply.text}`).toBe(expected);
        if (code) expect(reply.body.error.code).toBe(code);
      }
      const notEnabled = await request(`${portico.publicUrl}/api/defaulted/x`, {
        headers: { authorization: `Bearer ${users.gus}` },
      });
      expect(notEnabled.status, 'defaulted is not enabled for globex').toBe(404);
      expect(notEnabled.body.error.code).toBe('NOT_FOUND');
    });

    it('never forwards identity headers the caller made up; forwards the resolved tenant', async () => {
      const spoofed = { 'x-user-id': 'admin', 'x-user-roles': 'super_admin', 'x-portico-identity': 'forged' };
      const authed = await as('carol', 'GET', '/orders/1', { ...spoofed, 'x-tenant-id': 'acme' });
      expect(authed.status).toBe(200);
      const seen = authed.body.data.headers;
      expect(seen['x-tenant-id']).toBe('acme');
      for (const name of Object.keys(spoofed)) expect(seen[name], name).toBeUndefined();
      const anonymous = await request(`${portico.publicUrl}/api/orders/public/info`, {
        headers: { ...spoofed, 'x-tenant-id': 'globex' },
      });
      expect(anonymous.status).toBe(200);
      for (const name of [...Object.keys(spoofed), 'x-tenant-id']) {
        expect(anonymous.body.data.headers[name], name).toBeUndefined();
      }
    });

    it('stops a revoked API key within a second, while requests keep coming', async () => {
      const admin = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const created = await postJson(
        `${portico.adminUrl}/v1/admin/tenants/acme/api-keys`,
        { name: 'short-lived' },
        {
          headers: admin,
        },
      );
      expect(created.status, created.text).toBe(201);
      const { key, id } = created.body.data;
      const use = () => call('defaulted', '/x', { 'x-api-key': key }).then((reply) => reply.status);
      expect(await use()).toBe(200);
      // Callers keep using the key while it is revoked: the first refusal must follow within 1 s.
      let revokeSent = 0;
      let firstRefusal = 0;
      const deadline = performance.now() + 5_000;
      const loop = async () => {
        while (firstRefusal === 0 && performance.now() < deadline) {
          const status = await use();
          if (status === 401 && revokeSent > 0) firstRefusal ||= performance.now();
          else expect(status, 'refused before it was revoked').toBe(200);
        }
      };
      const callers = Promise.all([loop(), loop(), loop(), loop()]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      revokeSent = performance.now();
      const revoked = await request(`${portico.adminUrl}/v1/admin/tenants/acme/api-keys/${id}`, {
        method: 'DELETE',
        headers: { authorization: admin.authorization },
      });
      const revokedAt = performance.now();
      expect(revoked.status, revoked.text).toBeLessThan(300);
      await callers;
      expect(firstRefusal, 'the key was never refused').toBeGreaterThan(0);
      expect(firstRefusal - revokedAt).toBeLessThan(1_000);
      for (let i = 0; i < 20; i++) expect(await use(), 'a revoked key worked again').toBe(401);
    });
  });
});
