/**
 * Identity in a gateway started alone (`portico start gateway`): it follows the all-in-one
 * process's identity watch with the shared `clusterSecret` and verifies every credential in its
 * own memory. Real processes, real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, request, waitUntil } from './support/http.js';
import { type PorticoProc, type ServiceProc, startPortico, startService } from './support/processes.js';

const PASSWORD = 'split-identity-admin-password';
const SECRET = 'split-identity-cluster-secret-0123456789abcdef';

describe('a gateway started alone, with identity over the network', () => {
  let main: PorticoProc;
  let edge: PorticoProc;
  let stranger: PorticoProc;
  let service: ServiceProc;
  let adminToken = '';
  const admin = () => ({ authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' });

  beforeAll(async () => {
    main = await startPortico({ PORTICO_ADMIN_PASSWORD: PASSWORD, PORTICO_CLUSTER_SECRET: SECRET });
    [edge, stranger] = await Promise.all([
      startPortico({ PORTICO_REGISTRY_URL: main.adminUrl, PORTICO_CLUSTER_SECRET: SECRET }, 'gateway'),
      startPortico({ PORTICO_REGISTRY_URL: main.adminUrl, PORTICO_CLUSTER_SECRET: `${SECRET}-wrong` }, 'gateway'),
    ]);
    const login = await postJson(`${main.publicUrl}/auth/login`, {
      tenant: 'platform',
      username: 'admin',
      password: PASSWORD,
    });
    adminToken = login.body.data.accessToken;
    const created = await postJson(
      `${main.adminUrl}/v1/admin/tenants`,
      { name: 'acme', displayName: 'Acme', enabledServices: ['orders'] },
      { headers: admin() },
    );
    expect(created.status, created.text).toBe(201);
    service = await startService('echo-service', main.adminUrl, {
      SERVICE_NAME: 'orders',
      AUTH_MODE: 'any',
      ENDPOINTS_JSON: JSON.stringify([{ method: 'GET', path: '/admin/*', roles: ['super_admin'] }]),
    });
    await waitUntil(async () => (await request(`${edge.publicUrl}/api/orders/x`)).status === 401);
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await Promise.all([edge?.stop(), stranger?.stop()]);
    await main?.stop();
  });

  it('verifies tokens issued by the identity process and enforces tenancy and roles', async () => {
    const reply = await request(`${edge.publicUrl}/api/orders/admin/x`, {
      headers: { authorization: `Bearer ${adminToken}`, 'x-tenant-id': 'acme' },
    });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.data.headers['x-tenant-id']).toBe('acme');
    const unknownTenant = await request(`${edge.publicUrl}/api/orders/x`, {
      headers: { authorization: `Bearer ${adminToken}`, 'x-tenant-id': 'nope' },
    });
    expect(unknownTenant.status).toBe(404);
    const health = await request(`${edge.adminUrl}/health`);
    expect(health.body.dependencies.identity).toBe('healthy');
  });

  it('stops a revoked API key within a second', async () => {
    const created = await postJson(
      `${main.adminUrl}/v1/admin/tenants/acme/api-keys`,
      { name: 'edge' },
      { headers: admin() },
    );
    expect(created.status, created.text).toBe(201);
    const { key, id } = created.body.data;
    const use = async () => (await request(`${edge.publicUrl}/api/orders/x`, { headers: { 'x-api-key': key } })).status;
    // The key reaches the edge gateway by the watch, within a moment of being created.
    await waitUntil(async () => (await use()) === 200, 2_000);
    const revoked = await request(`${main.adminUrl}/v1/admin/tenants/acme/api-keys/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(revoked.status, revoked.text).toBeLessThan(300);
    const took = await waitUntil(async () => (await use()) === 401, 1_000, 5);
    expect(took).toBeLessThan(1_000);
  });

  it('takes a rotated signing key from the watch', async () => {
    const rotated = await request(`${main.adminUrl}/v1/admin/keys/rotate`, {
      method: 'POST',
      headers: admin(),
      body: '{}',
    });
    expect(rotated.status, rotated.text).toBeLessThan(300);
    const login = await postJson(`${main.publicUrl}/auth/login`, {
      tenant: 'platform',
      username: 'admin',
      password: PASSWORD,
    });
    const fresh = login.body.data.accessToken as string;
    const reply = await request(`${edge.publicUrl}/api/orders/x`, {
      headers: { authorization: `Bearer ${fresh}`, 'x-tenant-id': 'acme' },
    });
    expect(reply.status, reply.text).toBe(200);
  });

  it('gives a gateway with the wrong secret nothing: credentials refused, health degraded', async () => {
    const reply = await request(`${stranger.publicUrl}/api/orders/x`, {
      headers: { authorization: `Bearer ${adminToken}`, 'x-tenant-id': 'acme' },
    });
    expect(reply.status).toBe(401);
    const health = await request(`${stranger.adminUrl}/health`);
    expect(health.body.dependencies.identity).toBe('degraded');
    const watch = await request(`${main.adminUrl}/v1/identity/watch`, {
      headers: { authorization: `Bearer ${SECRET}-wrong` },
    });
    expect(watch.status).toBe(401);
    expect(watch.body.error.code).toBe('AUTHENTICATION_ERROR');
  });
});
