/**
 * Every sign-in flow of the identity core, against PGlite and a real PostgreSQL server: login,
 * refresh rotation, reuse detection, concurrent refresh, logout, key rotation with grace, API
 * keys, client credentials. In process, through the real Fastify apps with `inject()`.
 */
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityView } from '../packages/portico/src/identity/identity-view.js';
import { InProcessIdentityPort } from '../packages/portico/src/identity/in-process-port.js';
import {
  ADMIN_PASSWORD,
  bearer,
  ENGINES,
  type IdentityHarness,
  openIdentity,
  stopPostgres,
} from './support/identity.js';

afterAll(stopPostgres);

describe.each(ENGINES)('identity flows on %s', (engine) => {
  let h: IdentityHarness;
  let admin: string;

  beforeAll(async () => {
    h = await openIdentity(engine, { keyGraceSeconds: 2 });
    admin = await h.adminToken();
    await h.call('admin', {
      method: 'POST',
      url: '/v1/admin/tenants',
      headers: bearer(admin),
      payload: { name: 'acme', displayName: 'Acme' },
    });
    const user = await h.call('admin', {
      method: 'POST',
      url: '/v1/admin/tenants/acme/users',
      headers: bearer(admin),
      payload: { username: 'Alice', email: 'alice@acme.test', password: 'alice-password-1' },
    });
    expect(user.status).toBe(201);
  }, 60_000);
  afterAll(() => h?.close());

  it('logs in and answers /auth/me with the user, roles and permissions', async () => {
    const login = await h.login('acme', 'alice', 'alice-password-1');
    expect(login.status).toBe(200);
    expect(login.headers['cache-control']).toBe('no-store');
    const pair = login.body.data;
    expect(pair).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    const header = decodeProtectedHeader(pair.accessToken);
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    expect(header.kid).toBeTypeOf('string');
    const me = await h.call('public', { method: 'GET', url: '/auth/me', headers: bearer(pair.accessToken) });
    expect(me.status).toBe(200);
    expect(me.body.data).toMatchObject({ kind: 'user', tenant: 'acme', username: 'alice', roles: ['user'] });
    expect(me.body.data.lastLoginAt).not.toBeNull();
  });

  it('rotates the refresh token on every use', async () => {
    const first = (await h.login('acme', 'alice', 'alice-password-1')).body.data;
    const second = await h.call('public', {
      method: 'POST',
      url: '/auth/refresh',
      payload: { refreshToken: first.refreshToken },
    });
    expect(second.status).toBe(200);
    expect(second.body.data.refreshToken).not.toBe(first.refreshToken);
    const third = await h.call('public', {
      method: 'POST',
      url: '/auth/refresh',
      payload: { refreshToken: second.body.data.refreshToken },
    });
    expect(third.status).toBe(200);
  });

  it('revokes the whole family when a rotated refresh token is used again', async () => {
    const first = (await h.login('acme', 'alice', 'alice-password-1')).body.data;
    const second = (
      await h.call('public', { method: 'POST', url: '/auth/refresh', payload: { refreshToken: first.refreshToken } })
    ).body.data;
    const replay = await h.call('public', {
      method: 'POST',
      url: '/auth/refresh',
      payload: { refreshToken: first.refreshToken },
    });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('AUTHENTICATION_ERROR');
    // The legitimate holder's newer token is dead too, and so is its access token.
    const after = await h.call('public', {
      method: 'POST',
      url: '/auth/refresh',
      payload: { refreshToken: second.refreshToken },
    });
    expect(after.status).toBe(401);
    const me = await h.call('public', { method: 'GET', url: '/auth/me', headers: bearer(second.accessToken) });
    expect(me.status).toBe(401);
    const audit = await h.call('admin', {
      method: 'GET',
      url: '/v1/admin/audit?action=session.reuse_detected',
      headers: bearer(admin),
    });
    expect(audit.body.data.entries.length).toBeGreaterThan(0);
  });

  it('lets at most one of many concurrent refreshes with the same token succeed', async () => {
    const first = (await h.login('acme', 'alice', 'alice-password-1')).body.data;
    const replies = await Promise.all(
      Array.from({ length: 12 }, () =>
        h.call('public', { method: 'POST', url: '/auth/refresh', payload: { refreshToken: first.refreshToken } }),
      ),
    );
    const statuses = replies.map((reply) => reply.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 401)).toHaveLength(11);
  });

  it('ends the session at logout: refresh token and access token', async () => {
    const pair = (await h.login('acme', 'alice', 'alice-password-1')).body.data;
    const out = await h.call('public', {
      method: 'POST',
      url: '/auth/logout',
      payload: { refreshToken: pair.refreshToken },
    });
    expect(out.status).toBe(200);
    expect(out.body.data).toEqual({ loggedOut: true });
    const refresh = await h.call('public', {
      method: 'POST',
      url: '/auth/refresh',
      payload: { refreshToken: pair.refreshToken },
    });
    expect(refresh.status).toBe(401);
    const me = await h.call('public', { method: 'GET', url: '/auth/me', headers: bearer(pair.accessToken) });
    expect(me.status).toBe(401);
  });

  it('rotates signing keys: the old key verifies during the grace period, then leaves the JWKS', async () => {
    const before = (await h.login('acme', 'alice', 'alice-password-1')).body.data.accessToken;
    const oldKid = decodeProtectedHeader(before).kid;
    const rotated = await h.call('admin', { method: 'POST', url: '/v1/admin/keys/rotate', headers: bearer(admin) });
    expect(rotated.status).toBe(200);
    expect(rotated.body.data.retired).toContain(oldKid);
    const after = (await h.login('acme', 'alice', 'alice-password-1')).body.data.accessToken;
    expect(decodeProtectedHeader(after).kid).toBe(rotated.body.data.kid);
    const jwks = await h.call('public', { method: 'GET', url: '/.well-known/jwks.json' });
    expect(jwks.body.keys.map((key: { kid: string }) => key.kid)).toEqual(
      expect.arrayContaining([oldKid, rotated.body.data.kid]),
    );
    expect(JSON.stringify(jwks.body)).not.toContain('"d"');
    expect((await h.call('public', { method: 'GET', url: '/auth/me', headers: bearer(before) })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    const later = await h.call('public', { method: 'GET', url: '/.well-known/jwks.json' });
    expect(later.body.keys.map((key: { kid: string }) => key.kid)).not.toContain(oldKid);
    expect((await h.call('public', { method: 'GET', url: '/auth/me', headers: bearer(before) })).status).toBe(401);
    expect((await h.call('public', { method: 'GET', url: '/auth/me', headers: bearer(after) })).status).toBe(200);
    // The admin's own token was signed with the old key too: sign in again.
    admin = await h.adminToken();
    const audit = await h.call('admin', {
      method: 'GET',
      url: '/v1/admin/audit?action=keys.rotate',
      headers: bearer(admin),
    });
    expect(audit.body.data.entries[0]).toMatchObject({ actor: 'admin', action: 'keys.rotate' });
  });

  it('creates, uses and revokes an API key; the gateway view follows at once', async () => {
    const view = new IdentityView();
    const watch = new InProcessIdentityPort(h.identity).watch((event) => view.apply(event));
    await expect.poll(() => view.ready).toBe(true);
    const created = await h.call('admin', {
      method: 'POST',
      url: '/v1/admin/tenants/acme/api-keys',
      headers: bearer(admin),
      payload: { name: 'ci', scopes: ['orders.read'] },
    });
    expect(created.status).toBe(201);
    const { key, id, prefix } = created.body.data;
    expect(key.startsWith(`${prefix}.`)).toBe(true);
    const me = await h.call('public', { method: 'GET', url: '/auth/me', headers: { 'x-api-key': key } });
    expect(me.status).toBe(200);
    expect(me.body.data).toMatchObject({ kind: 'api-key', id, tenant: 'acme', scopes: ['orders.read'] });
    expect(view.verifyApiKey(key)).toMatchObject({ kind: 'api-key', tenant: 'acme' });
    expect(view.verifyApiKey(`${prefix}.${'x'.repeat(43)}`)).toBeUndefined();
    const list = await h.call('admin', {
      method: 'GET',
      url: '/v1/admin/tenants/acme/api-keys',
      headers: bearer(admin),
    });
    const listed = list.body.data.find((item: { id: string }) => item.id === id);
    expect(listed).toMatchObject({ prefix, revokedAt: null });
    expect(listed.lastUsedAt).not.toBeNull();
    expect(list.text).not.toContain(key.split('.')[1]);
    const revoked = await h.call('admin', {
      method: 'DELETE',
      url: `/v1/admin/tenants/acme/api-keys/${id}`,
      headers: bearer(admin),
    });
    expect(revoked.status).toBe(200);
    expect(view.verifyApiKey(key)).toBeUndefined();
    const after = await h.call('public', { method: 'GET', url: '/auth/me', headers: { 'x-api-key': key } });
    expect(after.status).toBe(401);
    watch.close();
  });

  it('issues client-credentials tokens with the requested scopes (RFC 6749)', async () => {
    const created = await h.call('admin', {
      method: 'POST',
      url: '/v1/admin/tenants/acme/clients',
      headers: bearer(admin),
      payload: { name: 'billing', scopes: ['orders.read', 'orders.write'] },
    });
    expect(created.status).toBe(201);
    const { clientId, clientSecret } = created.body.data;
    const form = new URLSearchParams({ grant_type: 'client_credentials', scope: 'orders.read' }).toString();
    const basic = Buffer.from(`${clientId}:${clientSecret}`).toString('base64');
    const token = await h.call('public', {
      method: 'POST',
      url: '/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
      payload: form,
    });
    expect(token.status).toBe(200);
    expect(token.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'orders.read' });
    const me = await h.call('public', { method: 'GET', url: '/auth/me', headers: bearer(token.body.access_token) });
    expect(me.body.data).toMatchObject({ kind: 'client', id: clientId, tenant: 'acme', scopes: ['orders.read'] });
    const post = await h.call('public', {
      method: 'POST',
      url: '/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
      }).toString(),
    });
    expect(post.status).toBe(200);
    expect(post.body.scope).toBe('orders.read orders.write');
  });

  it('verifies the platform admin password it was started with', async () => {
    expect((await h.login('platform', 'admin', ADMIN_PASSWORD)).status).toBe(200);
  });
});
