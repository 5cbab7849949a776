/**
 * Declared routes, CORS and security headers through a real Portico process: routes from
 * portico.yaml (paths, methods, hosts, priority, prefix stripping, per-route auth and policies),
 * routes changed through the admin API, and the conflicts both refuse.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, rawRequest, request } from './support/http.js';
import {
  PORTICO_BIN,
  type PorticoProc,
  type ServiceProc,
  spawnNode,
  startPortico,
  startService,
} from './support/processes.js';

const PASSWORD = 'declared-routes-admin-password';

const CONFIG = `
services:
  web:
    policies:
      cors:
        origins: ['https://app.example.com', 'https://*.partner.test']
        credentials: true
routes:
  - name: shop
    paths: ['/shop', '/shop/*']
    service: orders
    stripPrefix: /shop
  - name: shop-eu
    paths: ['/shop/*']
    hosts: ['eu.example.com']
    service: orders-eu
    stripPrefix: /shop
  - name: shop-writes
    paths: ['/shop/*']
    methods: [POST, PUT]
    priority: 10
    service: orders-eu
  - name: backoffice
    paths: ['/backoffice/*']
    methods: [GET]
    service: orders
    auth: jwt
    policies:
      authorization: { roles: [super_admin] }
  - name: site
    paths: ['/site/*']
    service: web
    stripPrefix: /site
`;

function writeConfig(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'portico-routes-'));
  const file = join(dir, 'portico.yaml');
  writeFileSync(file, text);
  return file;
}

describe('declared routes', () => {
  let portico: PorticoProc;
  const services: Record<string, ServiceProc> = {};
  let adminToken = '';

  const get = (path: string, headers: Record<string, string> = {}) =>
    rawRequest(`${portico.publicUrl}${path}`, { headers });

  beforeAll(async () => {
    portico = await startPortico({ PORTICO_ADMIN_PASSWORD: PASSWORD, PORTICO_CONFIG: writeConfig(CONFIG) });
    const login = await postJson(`${portico.publicUrl}/auth/login`, {
      tenant: 'platform',
      username: 'admin',
      password: PASSWORD,
    });
    adminToken = login.body.data.accessToken;
    for (const name of ['orders', 'orders-eu', 'web']) {
      services[name] = await startService('echo-service', portico.adminUrl, { SERVICE_NAME: name });
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(Object.values(services).map((service) => service.stop()));
    await portico?.stop();
  });

  it('forwards a declared path to its service without the stripped prefix, query kept', async () => {
    const reply = await get('/shop/items/1?x=1');
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.data.instance).toBe(services.orders?.instanceId);
    expect(reply.body.data.url).toBe('/items/1?x=1');
    expect((await get('/shop')).body.data.url).toBe('/');
    // The service is still reachable at its own /api path.
    expect((await get('/api/orders/items/1')).body.data.url).toBe('/items/1');
  });

  it('picks the route by host, then priority and methods, on the same path', async () => {
    const eu = await get('/shop/items/1', { host: 'eu.example.com' });
    expect(eu.body.data.instance).toBe(services['orders-eu']?.instanceId);
    expect(eu.body.data.url).toBe('/items/1');
    const other = await get('/shop/items/1', { host: 'us.example.com' });
    expect(other.body.data.instance).toBe(services.orders?.instanceId);
    // POST on /shop/* is taken by the higher-priority route, which strips nothing.
    const post = await rawRequest(`${portico.publicUrl}/shop/items`, { method: 'POST', body: '{}' });
    expect(post.body.data.instance).toBe(services['orders-eu']?.instanceId);
    expect(post.body.data.url).toBe('/shop/items');
  });

  it("applies the route's own auth and policy settings over the service's", async () => {
    const anonymous = await get('/backoffice/report');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="portico"');
    const admin = await get('/backoffice/report', { authorization: `Bearer ${adminToken}` });
    expect(admin.status, admin.text).toBe(200);
    expect(admin.body.data.url).toBe('/backoffice/report');
    // Only GET is declared on /backoffice/*: other methods have no route.
    const post = await rawRequest(`${portico.publicUrl}/backoffice/report`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(post.status).toBe(404);
    expect(post.body.error.code).toBe('NOT_FOUND');
  });

  it('answers CORS preflights itself and grants allowed origins on answers and errors', async () => {
    const preflight = await rawRequest(`${portico.publicUrl}/site/page`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'PUT' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(preflight.headers['access-control-allow-credentials']).toBe('true');
    expect(preflight.headers['access-control-allow-methods']).toContain('PUT');
    const stats = await request(`${services.web?.controlUrl}/stats`);
    expect(stats.body.stats.byMethod.OPTIONS, 'the preflight reached the service').toBeUndefined();
    const partner = await get('/api/web/page', { origin: 'https://b2b.partner.test' });
    expect(partner.status).toBe(200);
    expect(partner.headers['access-control-allow-origin']).toBe('https://b2b.partner.test');
    expect(partner.headers.vary).toContain('Origin');
    const stranger = await get('/api/web/page', { origin: 'https://evil.test' });
    expect(stranger.status).toBe(200);
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('adds the security headers to proxied answers and error envelopes', async () => {
    const proxied = await get('/api/orders/x');
    expect(proxied.headers['x-content-type-options']).toBe('nosniff');
    expect(proxied.headers['x-frame-options']).toBe('DENY');
    expect(proxied.headers['referrer-policy']).toBe('no-referrer');
    const missing = await get('/nowhere');
    expect(missing.status).toBe(404);
    expect(missing.headers['x-content-type-options']).toBe('nosniff');
  });

  it('adds, replaces and removes routes through the admin API, refusing conflicts whole', async () => {
    const api = `${portico.adminUrl}/v1/gateway/routes`;
    const put = (name: string, body: unknown) =>
      request(`${api}/${name}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const created = await put('catalog', { paths: ['/catalog/*'], service: 'web', stripPrefix: '/catalog' });
    expect(created.status, created.text).toBe(201);
    expect(created.body.data).toMatchObject({ name: 'catalog', source: 'api', priority: 0 });
    expect((await get('/catalog/a')).body.data.url).toBe('/a');

    const clash = await put('catalog-2', { paths: ['/catalog/*'], service: 'orders' });
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe('CONFLICT');
    expect(clash.body.error.message).toContain('routes "catalog" and "catalog-2" both take');
    const builtIn = await put('hijack', { paths: ['/health'], service: 'orders' });
    expect(builtIn.status).toBe(409);
    expect(builtIn.body.error.message).toContain('served by the gateway itself');
    const locked = await put('shop', { paths: ['/elsewhere'], service: 'orders' });
    expect(locked.status).toBe(409);
    expect(locked.body.error.message).toContain('portico.yaml');
    const badPolicy = await put('bad', { paths: ['/bad'], service: 'web', policies: { cors: { origins: [] } } });
    expect(badPolicy.status).toBe(400);
    expect(badPolicy.body.error.code).toBe('VALIDATION_ERROR');
    const badShape = await put('bad', { paths: ['no-slash'], service: 'web', extra: 1 });
    expect(badShape.status).toBe(400);

    const replaced = await put('catalog', { paths: ['/catalog/*'], service: 'orders' });
    expect(replaced.status).toBe(200);
    expect((await get('/catalog/a')).body.data.instance).toBe(services.orders?.instanceId);
    const list = await request(api);
    expect(list.body.data.map((r: { name: string }) => r.name).sort()).toEqual(
      ['backoffice', 'catalog', 'shop', 'shop-eu', 'shop-writes', 'site'].sort(),
    );
    expect((await request(`${api}/catalog`, { method: 'DELETE' })).status).toBe(200);
    expect((await get('/catalog/a')).status).toBe(404);
    expect((await request(`${api}/catalog`, { method: 'DELETE' })).status).toBe(404);
    expect((await request(`${api}/shop`, { method: 'DELETE' })).status).toBe(409);
  });

  it('answers 503 on a declared route whose service never registered', async () => {
    const api = `${portico.adminUrl}/v1/gateway/routes/ghost`;
    await request(api, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ paths: ['/ghost'], service: 'ghost' }),
    });
    const reply = await get('/ghost');
    expect(reply.status).toBe(503);
    expect(reply.body.error.code).toBe('SERVICE_UNAVAILABLE');
  });
});

describe('declared routes in portico.yaml that cannot work', () => {
  const runToExit = async (yaml: string) => {
    const proc = spawnNode([PORTICO_BIN, 'start', 'gateway'], {
      PORTICO_CONFIG: writeConfig(yaml),
      PORTICO_PUBLIC_PORT: '0',
      PORTICO_ADMIN_PORT: '0',
      PORTICO_DATA_DIR: mkdtempSync(join(tmpdir(), 'portico-test-')),
    });
    const code = await proc.exited;
    return { code, output: proc.lines.join('\n') };
  };

  it('refuses two routes that take the same requests, naming both and the line', async () => {
    const { code, output } = await runToExit(
      "routes:\n  - { name: a, paths: ['/x'], service: s }\n  - { name: b, paths: ['/x'], service: t }\n",
    );
    expect(code).not.toBe(0);
    expect(output).toMatch(/portico\.yaml:\d+.*routes "a" and "b" both take GET \/x on any host at priority 0/);
  });

  it('refuses a route on a path the gateway serves itself', async () => {
    const { code, output } = await runToExit("routes:\n  - { name: a, paths: ['/api/:service/*'], service: s }\n");
    expect(code).toBe(1);
    expect(output).toContain('route "a": GET /api/:service/* is served by the gateway itself');
  });

  it('refuses bad policy settings on a route with their key path', async () => {
    const { code, output } = await runToExit(
      "routes:\n  - name: a\n    paths: ['/x']\n    service: s\n    policies:\n      cors: { origins: [] }\n",
    );
    expect(code).not.toBe(0);
    expect(output).toMatch(/portico\.yaml:\d+.*routes\.0\.policies\.cors\.origins/);
  });
});
