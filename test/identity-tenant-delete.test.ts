/**
 * `DELETE /v1/admin/tenants/{tenant}`, against PGlite and a real PostgreSQL server: refused while
 * the tenant has users unless `?force=true`, then it goes with its users, roles, keys and
 * clients; their tokens and keys stop working at once, in the store and in a gateway's view.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityView } from '../packages/portico/src/identity/identity-view.js';
import { InProcessIdentityPort } from '../packages/portico/src/identity/in-process-port.js';
import { bearer, ENGINES, type IdentityHarness, openIdentity, stopPostgres } from './support/identity.js';

afterAll(stopPostgres);

describe.each(ENGINES)('deleting a tenant on %s', (engine) => {
  let h: IdentityHarness;
  let admin: string;

  async function create(url: string, payload: unknown, token = admin) {
    const reply = await h.call('admin', { method: 'POST', url, headers: bearer(token), payload: payload as object });
    if (reply.status !== 201) throw new Error(`${url}: ${reply.status} ${reply.text}`);
    return reply.body.data;
  }
  const remove = (url: string, token = admin) => h.call('admin', { method: 'DELETE', url, headers: bearer(token) });

  beforeAll(async () => {
    h = await openIdentity(engine);
    admin = await h.adminToken();
  }, 60_000);
  afterAll(() => h?.close());

  it('deletes an empty tenant, and answers 404 for it afterwards', async () => {
    await create('/v1/admin/tenants', { name: 'empty', displayName: 'Empty' });
    const reply = await remove('/v1/admin/tenants/empty');
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.data).toMatchObject({ name: 'empty', displayName: 'Empty' });
    expect((await remove('/v1/admin/tenants/empty')).status).toBe(404);
    const read = await h.call('admin', { method: 'GET', url: '/v1/admin/tenants/empty', headers: bearer(admin) });
    expect(read.status).toBe(404);
    const audit = await h.call('admin', { method: 'GET', url: '/v1/admin/audit?tenant=empty', headers: bearer(admin) });
    expect(audit.body.data.entries[0]).toMatchObject({ action: 'tenant.delete', actor: 'admin', target: 'empty' });
  });

  it('refuses a tenant with users unless ?force=true, then takes its users, keys and tokens with it', async () => {
    const view = new IdentityView();
    const watch = new InProcessIdentityPort(h.identity).watch((event) => view.apply(event));
    await expect.poll(() => view.ready).toBe(true);
    await create('/v1/admin/tenants', { name: 'doomed', displayName: 'Doomed' });
    await create('/v1/admin/tenants/doomed/users', { username: 'dora', password: 'dora-password-1' });
    await create('/v1/admin/tenants/doomed/roles', { name: 'editor', permissions: ['posts.*'] });
    const { key } = await create('/v1/admin/tenants/doomed/api-keys', { name: 'ci' });
    const userToken = (await h.login('doomed', 'dora', 'dora-password-1')).body.data.accessToken as string;
    expect(view.verifyApiKey(key)).toMatchObject({ tenant: 'doomed' });
    expect(view.tenant('doomed')?.status).toBe('active');

    const refused = await remove('/v1/admin/tenants/doomed');
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'CONFLICT', details: { users: 1 } });
    expect((await remove('/v1/admin/tenants/doomed?force=maybe')).status).toBe(400);

    const forced = await remove('/v1/admin/tenants/doomed?force=true');
    expect(forced.status, forced.text).toBe(200);
    expect(view.verifyApiKey(key)).toBeUndefined();
    expect(view.tenant('doomed')?.status).toBe('disabled');
    await expect(view.verifyAccessToken(userToken)).rejects.toMatchObject({ code: 'AUTHENTICATION_ERROR' });
    const me = await h.call('public', { method: 'GET', url: '/auth/me', headers: bearer(userToken) });
    expect(me.status).toBe(401);
    expect((await h.login('doomed', 'dora', 'dora-password-1')).status).toBe(401);
    // A tenant of the same name starts empty: nothing of the old one survived.
    await create('/v1/admin/tenants', { name: 'doomed', displayName: 'Reborn' });
    const users = await h.call('admin', {
      method: 'GET',
      url: '/v1/admin/tenants/doomed/users',
      headers: bearer(admin),
    });
    expect(users.body.data.users).toEqual([]);
    const roles = await h.call('admin', {
      method: 'GET',
      url: '/v1/admin/tenants/doomed/roles',
      headers: bearer(admin),
    });
    expect(roles.body.data.map((role: { name: string }) => role.name)).not.toContain('editor');
    const keys = await h.call('admin', {
      method: 'GET',
      url: '/v1/admin/tenants/doomed/api-keys',
      headers: bearer(admin),
    });
    expect(keys.body.data).toEqual([]);
    expect(view.tenant('doomed')?.status).toBe('active');
    watch.close();
  });

  it('refuses the platform tenant, and anyone but a platform admin', async () => {
    const platform = await remove('/v1/admin/tenants/platform?force=true');
    expect(platform.status).toBe(409);
    await create('/v1/admin/tenants', { name: 'kept', displayName: 'Kept' });
    await create('/v1/admin/tenants/kept/users', {
      username: 'boss',
      password: 'boss-password-1',
      roles: ['tenant_admin'],
    });
    const boss = (await h.login('kept', 'boss', 'boss-password-1')).body.data.accessToken as string;
    const own = await remove('/v1/admin/tenants/kept?force=true', boss);
    expect(own.status).toBe(403);
    expect(own.body.error.code).toBe('AUTHORIZATION_ERROR');
    expect((await remove('/v1/admin/tenants/kept?force=true', '')).status).toBe(401);
    const still = await h.call('admin', { method: 'GET', url: '/v1/admin/tenants/kept', headers: bearer(admin) });
    expect(still.status).toBe(200);
  });
});
