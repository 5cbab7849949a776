/**
 * The identity admin API and every negative case of the sign-in endpoints, against PGlite and a
 * real PostgreSQL server: tenant_admin confinement, audit entries, mass assignment, bad input,
 * throttling, and a grep that no secret leaks into logs, lists or the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, ENGINES, type IdentityHarness, openIdentity, stopPostgres } from './support/identity.js';

afterAll(stopPostgres);

const json = { 'content-type': 'application/json' };

describe.each(ENGINES)('identity admin and negative cases on %s', (engine) => {
  let h: IdentityHarness;
  let admin: string;
  let acmeAdmin: string;
  let acmeUserId: string;
  const secrets: string[] = [];

  async function create(url: string, payload: unknown, token = admin) {
    const reply = await h.call('admin', { method: 'POST', url, headers: bearer(token), payload: payload as object });
    if (reply.status !== 201) throw new Error(`${url}: ${reply.status} ${reply.text}`);
    return reply.body.data;
  }

  beforeAll(async () => {
    h = await openIdentity(engine);
    admin = await h.adminToken();
    await create('/v1/admin/tenants', { name: 'acme', displayName: 'Acme', config: { theme: 'dark' } });
    await create('/v1/admin/tenants', { name: 'globex', displayName: 'Globex' });
    await create('/v1/admin/tenants/acme/users', {
      username: 'boss',
      password: 'boss-password-1',
      roles: ['tenant_admin'],
    });
    const user = await create('/v1/admin/tenants/acme/users', { username: 'carol', password: 'carol-password-1' });
    acmeUserId = user.id;
    await create('/v1/admin/tenants/globex/users', { username: 'gus', password: 'gus-password-1' });
    secrets.push('boss-password-1', 'carol-password-1', 'gus-password-1');
    acmeAdmin = (await h.login('acme', 'boss', 'boss-password-1')).body.data.accessToken;
  }, 60_000);
  afterAll(() => h?.close());

  describe('tenant_admin is confined to its tenant', () => {
    const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
      h.call('admin', { method, url, headers: bearer(acmeAdmin), ...(payload ? { payload } : {}) });

    it('administers its own tenant', async () => {
      expect((await call('GET', '/v1/admin/tenants/acme/users')).status).toBe(200);
      expect(
        (await call('POST', '/v1/admin/tenants/acme/users', { username: 'dave', password: 'dave-password-1' })).status,
      ).toBe(201);
      expect(
        (await call('POST', '/v1/admin/tenants/acme/roles', { name: 'editor', permissions: ['posts.*'] })).status,
      ).toBe(201);
      expect((await call('PATCH', '/v1/admin/tenants/acme', { displayName: 'Acme Corp' })).status).toBe(200);
      const tenants = await call('GET', '/v1/admin/tenants');
      expect(tenants.body.data.map((t: { name: string }) => t.name)).toEqual(['acme']);
      secrets.push('dave-password-1');
    });

    it.each([
      ['GET', '/v1/admin/tenants/globex/users'],
      ['POST', '/v1/admin/tenants/globex/users', { username: 'evil', password: 'evil-password-1' }],
      ['GET', '/v1/admin/tenants/globex'],
      ['PATCH', '/v1/admin/tenants/globex', { displayName: 'pwned' }],
      ['POST', '/v1/admin/tenants/globex/api-keys', { name: 'x' }],
      ['GET', '/v1/admin/tenants/globex/clients'],
      ['GET', '/v1/admin/tenants/globex/roles'],
      ['GET', '/v1/admin/tenants/platform/users'],
      ['POST', '/v1/admin/tenants', { name: 'mine', displayName: 'Mine' }],
      ['POST', '/v1/admin/keys/rotate'],
      ['PATCH', '/v1/admin/tenants/acme', { status: 'disabled' }],
      ['PATCH', '/v1/admin/tenants/acme', { enabledServices: ['billing'] }],
    ] as const)('refuses %s %s with 403', async (method, url, payload?: object) => {
      const reply = await call(method, url, payload);
      expect(reply.status).toBe(403);
      expect(reply.body.error.code).toBe('AUTHORIZATION_ERROR');
    });

    it('cannot grant super_admin, nor reach another tenant by user id', async () => {
      const grant = await call('PATCH', `/v1/admin/tenants/acme/users/${acmeUserId}`, { roles: ['super_admin'] });
      expect(grant.status).toBe(403);
      const gus = await h.call('admin', {
        method: 'GET',
        url: '/v1/admin/tenants/globex/users',
        headers: bearer(admin),
      });
      const gusId = gus.body.data.users[0].id;
      const cross = await call('PATCH', `/v1/admin/tenants/acme/users/${gusId}`, { active: false });
      expect(cross.status).toBe(404);
    });

    it('reads only its own tenant in the audit log', async () => {
      const audit = await call('GET', '/v1/admin/audit?tenant=globex');
      expect(audit.status).toBe(200);
      expect(audit.body.data.entries.length).toBeGreaterThan(0);
      expect(audit.body.data.entries.every((entry: { tenant: string }) => entry.tenant === 'acme')).toBe(true);
    });

    it('plain users and anonymous callers get 403 and 401', async () => {
      const carol = (await h.login('acme', 'carol', 'carol-password-1')).body.data.accessToken;
      expect(
        (await h.call('admin', { method: 'GET', url: '/v1/admin/tenants/acme/users', headers: bearer(carol) })).status,
      ).toBe(403);
      const anonymous = await h.call('admin', { method: 'GET', url: '/v1/admin/tenants' });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers['www-authenticate']).toContain('Bearer');
      const garbage = await h.call('admin', { method: 'GET', url: '/v1/admin/tenants', headers: bearer('a.b.c') });
      expect(garbage.status).toBe(401);
    });
  });

  it('writes an audit entry for every admin write, with who, what and when', async () => {
    const key = await create('/v1/admin/tenants/acme/api-keys', { name: 'audited', scopes: ['a.b'] });
    secrets.push(key.key);
    const client = await create('/v1/admin/tenants/acme/clients', { name: 'audited' });
    secrets.push(client.clientSecret);
    await h.call('admin', {
      method: 'DELETE',
      url: `/v1/admin/tenants/acme/api-keys/${key.id}`,
      headers: bearer(admin),
    });
    const audit = await h.call('admin', {
      method: 'GET',
      url: '/v1/admin/audit?tenant=acme&limit=200',
      headers: bearer(admin),
    });
    const actions = audit.body.data.entries.map((entry: { action: string }) => entry.action);
    for (const action of [
      'tenant.create',
      'user.create',
      'role.create',
      'tenant.update',
      'api-key.create',
      'api-key.revoke',
      'client.create',
    ]) {
      expect(actions).toContain(action);
    }
    const created = audit.body.data.entries.find(
      (entry: { action: string; target: string }) => entry.action === 'api-key.create' && entry.target === key.id,
    );
    expect(created).toMatchObject({
      actor: 'admin',
      actorTenant: 'platform',
      tenant: 'acme',
      changes: { name: 'audited', prefix: key.prefix },
    });
    expect(Date.parse(created.at)).toBeGreaterThan(Date.now() - 60_000);
    const update = audit.body.data.entries.find((entry: { action: string }) => entry.action === 'tenant.update');
    expect(update.changes).toEqual({ displayName: { from: 'Acme', to: 'Acme Corp' } });
    // Paging: one entry per page, following the cursor.
    const first = await h.call('admin', { method: 'GET', url: '/v1/admin/audit?limit=1', headers: bearer(admin) });
    const second = await h.call('admin', {
      method: 'GET',
      url: `/v1/admin/audit?limit=1&before=${first.body.data.nextCursor}`,
      headers: bearer(admin),
    });
    expect(Number(second.body.data.entries[0].id)).toBeLessThan(Number(first.body.data.entries[0].id));
  });

  describe('refresh tokens that must be refused', () => {
    it('refuses an expired refresh token', async () => {
      const pair = (await h.login('acme', 'carol', 'carol-password-1')).body.data;
      await h.store.db
        .updateTable('refresh_tokens')
        .set({ expires_at: new Date(Date.now() - 1000) })
        .where('user_id', '=', acmeUserId)
        .execute();
      const reply = await h.call('public', {
        method: 'POST',
        url: '/auth/refresh',
        payload: { refreshToken: pair.refreshToken },
      });
      expect(reply.status).toBe(401);
      expect(reply.body.error.code).toBe('AUTHENTICATION_ERROR');
    });

    it.each([
      ['a token never issued', 'x'.repeat(43)],
      ['an access token', 'eyJhbGciOiJFZERTQSJ9.e30.sig'],
      ['an empty-looking token', ' '],
    ])('refuses %s', async (_name, refreshToken) => {
      const reply = await h.call('public', { method: 'POST', url: '/auth/refresh', payload: { refreshToken } });
      expect(reply.status).toBe(401);
      expect(reply.body.success).toBe(false);
    });

    it('refuses a refresh token of another Portico (other secret key)', async () => {
      const other = await openIdentity('pglite', { secretKey: 'another-portico' });
      const foreign = (await other.login('platform', 'admin', 'admin-password-for-tests')).body.data.refreshToken;
      await other.close();
      const reply = await h.call('public', {
        method: 'POST',
        url: '/auth/refresh',
        payload: { refreshToken: foreign },
      });
      expect(reply.status).toBe(401);
    }, 30_000);
  });

  describe('client credentials errors follow RFC 6749', () => {
    let clientId: string;
    beforeAll(async () => {
      const client = await create('/v1/admin/tenants/acme/clients', { name: 'rfc', scopes: ['orders.read'] });
      clientId = client.clientId;
      secrets.push(client.clientSecret);
    });
    const token = (form: Record<string, string>, headers: Record<string, string> = {}) =>
      h.call('public', {
        method: 'POST',
        url: '/auth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        payload: new URLSearchParams(form).toString(),
      });

    it('answers a wrong client secret with 401 invalid_client', async () => {
      const reply = await token({ grant_type: 'client_credentials', client_id: clientId, client_secret: 'wrong' });
      expect(reply.status).toBe(401);
      expect(reply.body).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
      expect(reply.headers['www-authenticate']).toContain('Basic');
      const basic = await token(
        { grant_type: 'client_credentials' },
        { authorization: `Basic ${Buffer.from(`${clientId}:nope`).toString('base64')}` },
      );
      expect(basic.status).toBe(401);
      const unknown = await token({ grant_type: 'client_credentials', client_id: 'svc_nobody', client_secret: 'x' });
      expect(unknown.body.error).toBe('invalid_client');
    });

    it('answers other mistakes with 400 and the RFC error code', async () => {
      expect((await token({})).body.error).toBe('invalid_request');
      expect((await token({ grant_type: 'password' })).body.error).toBe('unsupported_grant_type');
      const secret = secrets.at(-1) as string;
      const scope = await token({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: secret,
        scope: 'admin.all',
      });
      expect(scope.status).toBe(400);
      expect(scope.body.error).toBe('invalid_scope');
      const broken = await h.call('public', { method: 'POST', url: '/auth/token', headers: json, payload: '{' });
      expect(broken.status).toBe(400);
      expect(broken.body.error).toBe('invalid_request');
    });
  });

  describe('disabled users and tenants, unknown tenants', () => {
    it('a disabled user cannot log in, and its current tokens stop working at once', async () => {
      await create('/v1/admin/tenants/acme/users', { username: 'erin', password: 'erin-password-1' });
      secrets.push('erin-password-1');
      const pair = (await h.login('acme', 'erin', 'erin-password-1')).body.data;
      const erin = (
        await h.call('admin', { method: 'GET', url: '/v1/admin/tenants/acme/users?limit=200', headers: bearer(admin) })
      ).body.data.users.find((user: { username: string }) => user.username === 'erin');
      const disable = await h.call('admin', {
        method: 'PATCH',
        url: `/v1/admin/tenants/acme/users/${erin.id}`,
        headers: bearer(admin),
        payload: { active: false },
      });
      expect(disable.status).toBe(200);
      const login = await h.login('acme', 'erin', 'erin-password-1');
      expect(login.status).toBe(401);
      expect(
        (await h.call('public', { method: 'GET', url: '/auth/me', headers: bearer(pair.accessToken) })).status,
      ).toBe(401);
      expect(
        (await h.call('public', { method: 'POST', url: '/auth/refresh', payload: { refreshToken: pair.refreshToken } }))
          .status,
      ).toBe(401);
    });

    it('answers an unknown tenant, user or wrong password the same way', async () => {
      const wrong = await h.login('acme', 'carol', 'not-her-password', '10.0.0.2');
      const unknownUser = await h.login('acme', 'nobody', 'whatever-password', '10.0.0.2');
      const unknownTenant = await h.login('nope', 'carol', 'carol-password-1', '10.0.0.2');
      for (const reply of [wrong, unknownUser, unknownTenant]) {
        expect(reply.status).toBe(401);
        expect(reply.body.error).toEqual(wrong.body.error);
      }
    });

    it('takes about as long for an unknown user as for a wrong password', async () => {
      const time = async (username: string) => {
        const started = performance.now();
        await h.login('globex', username, 'definitely-wrong', `10.1.0.${username.length}`);
        return performance.now() - started;
      };
      const known: number[] = [];
      const unknown: number[] = [];
      // Alternate, so load on the machine hits both series alike; 4 each stays under the throttle.
      for (let i = 0; i < 4; i++) {
        known.push(await time('gus'));
        unknown.push(await time(`ghost${i}`));
      }
      const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
      const ratio = median(unknown) / median(known);
      expect(ratio).toBeGreaterThan(0.5);
      expect(ratio).toBeLessThan(2);
    });

    it('refuses a login into a disabled tenant, and admin calls on an unknown tenant are 404', async () => {
      await create('/v1/admin/tenants', { name: 'initech', displayName: 'Initech' });
      await create('/v1/admin/tenants/initech/users', { username: 'peter', password: 'peter-password-1' });
      secrets.push('peter-password-1');
      await h.call('admin', {
        method: 'PATCH',
        url: '/v1/admin/tenants/initech',
        headers: bearer(admin),
        payload: { status: 'disabled' },
      });
      expect((await h.login('initech', 'peter', 'peter-password-1')).status).toBe(401);
      const missing = await h.call('admin', {
        method: 'POST',
        url: '/v1/admin/tenants/nope/users',
        headers: bearer(admin),
        payload: { username: 'x', password: 'x-password-1' },
      });
      expect(missing.status).toBe(404);
      expect(missing.body.error.code).toBe('NOT_FOUND');
      expect(
        (await h.call('admin', { method: 'GET', url: '/v1/admin/tenants/nope/users', headers: bearer(admin) })).status,
      ).toBe(404);
    });
  });

  describe('mass assignment and bad input get 400, never 500', () => {
    it.each([
      ['roles', { roles: ['super_admin'] }],
      ['tenantId', { tenantId: 'platform' }],
      ['tenant', { tenant: 'platform' }],
      ['active', { active: true }],
    ])('refuses a self-update that sets %s', async (field, payload) => {
      const carol = (await h.login('acme', 'carol', 'carol-password-1')).body.data.accessToken;
      const reply = await h.call('public', { method: 'PATCH', url: '/auth/me', headers: bearer(carol), payload });
      expect(reply.status).toBe(400);
      expect(reply.body.error.code).toBe('VALIDATION_ERROR');
      expect(JSON.stringify(reply.body.error.details)).toContain(field);
      const me = await h.call('public', { method: 'GET', url: '/auth/me', headers: bearer(carol) });
      expect(me.body.data.roles).toEqual(['user']);
      expect(me.body.data.tenant).toBe('acme');
    });

    it('lets a user change only their own email', async () => {
      const carol = (await h.login('acme', 'carol', 'carol-password-1')).body.data.accessToken;
      const reply = await h.call('public', {
        method: 'PATCH',
        url: '/auth/me',
        headers: bearer(carol),
        payload: { email: 'carol@acme.test' },
      });
      expect(reply.status).toBe(200);
      expect(reply.body.data).toMatchObject({ email: 'carol@acme.test', roles: ['user'] });
    });

    it('refuses extra fields in admin bodies too (id, tenant)', async () => {
      const reply = await h.call('admin', {
        method: 'POST',
        url: '/v1/admin/tenants/acme/users',
        headers: bearer(admin),
        payload: {
          username: 'mallory',
          password: 'mallory-password',
          tenant: 'platform',
          id: '00000000-0000-0000-0000-000000000000',
        },
      });
      expect(reply.status).toBe(400);
    });

    it.each([
      ['an over-long username', { tenant: 'acme', username: 'u'.repeat(65), password: 'x' }],
      ['an over-long password', { tenant: 'acme', username: 'carol', password: 'p'.repeat(257) }],
      ['an over-long tenant', { tenant: 't'.repeat(64), username: 'carol', password: 'x' }],
      ['a username with spaces', { tenant: 'acme', username: 'car ol', password: 'x' }],
      ['a number for a string', { tenant: 'acme', username: 42, password: 'x' }],
    ])('refuses %s at login', async (_name, payload) => {
      const reply = await h.call('public', { method: 'POST', url: '/auth/login', payload });
      expect(reply.status).toBe(400);
      expect(reply.body.error.code).toBe('VALIDATION_ERROR');
    });

    it.each([
      [
        'bytes that are not UTF-8',
        Buffer.concat([
          Buffer.from('{"tenant":"acme","username":"car'),
          Buffer.from([0xff, 0xfe]),
          Buffer.from('ol","password":"x"}'),
        ]),
      ],
      ['a NUL character', Buffer.from('{"tenant":"acme","username":"carol\\u0000","password":"x"}')],
      ['a lone surrogate', Buffer.from('{"tenant":"acme","username":"carol","password":"\\ud800"}')],
      ['invalid JSON', Buffer.from('{"tenant":')],
    ])('refuses %s in a body', async (_name, payload) => {
      for (const [app, url] of [
        ['public', '/auth/login'],
        ['admin', '/v1/admin/tenants/acme/users'],
      ] as const) {
        const reply = await h.call(app, { method: 'POST', url, headers: { ...json, ...bearer(admin) }, payload });
        expect(reply.status, `${url}: ${reply.text}`).toBe(400);
        expect(reply.body.error.code).toBe('VALIDATION_ERROR');
      }
    });

    it('refuses a NUL in the tenant config document and an id that is not a UUID', async () => {
      const config = await h.call('admin', {
        method: 'PATCH',
        url: '/v1/admin/tenants/acme',
        headers: { ...json, ...bearer(admin) },
        payload: Buffer.from('{"config":{"k\\u0000":1}}'),
      });
      expect(config.status).toBe(400);
      const id = await h.call('admin', {
        method: 'GET',
        url: '/v1/admin/tenants/acme/users/not-a-uuid',
        headers: bearer(admin),
      });
      expect(id.status).toBe(400);
      const cursor = await h.call('admin', {
        method: 'GET',
        url: '/v1/admin/audit?before=abc',
        headers: bearer(admin),
      });
      expect(cursor.status).toBe(400);
    });

    it('refuses a body over the public limit with 413', async () => {
      const reply = await h.call('public', {
        method: 'POST',
        url: '/auth/login',
        headers: json,
        payload: JSON.stringify({ tenant: 'acme', username: 'carol', password: 'x'.repeat(70_000) }),
      });
      expect(reply.status).toBe(413);
      expect(reply.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    });
  });

  describe('login throttling', () => {
    it('answers a parallel burst past the per-identifier limit with 429 and locks the account for a while', async () => {
      await create('/v1/admin/tenants/acme/users', { username: 'frank', password: 'frank-password-1' });
      secrets.push('frank-password-1');
      const burst = await Promise.all(
        Array.from({ length: 20 }, (_, i) => h.login('acme', 'frank', `wrong-${i}`, `10.2.0.${i}`)),
      );
      const statuses = burst.map((reply) => reply.status);
      expect(statuses.filter((status) => status === 401)).toHaveLength(5);
      expect(statuses.filter((status) => status === 429)).toHaveLength(15);
      const limited = burst.find((reply) => reply.status === 429);
      expect(limited?.body.error.code).toBe('RATE_LIMITED');
      expect(Number(limited?.headers['retry-after'])).toBeGreaterThan(0);
      // Locked: even the right password waits.
      expect((await h.login('acme', 'frank', 'frank-password-1', '10.2.1.1')).status).toBe(429);
    });

    it('limits failures per IP across usernames', async () => {
      const ip = '10.3.0.1';
      const replies = [];
      for (let i = 0; i < 55; i++) replies.push(await h.login('acme', `spray${i}`, 'guess-password', ip));
      expect(replies.slice(0, 50).every((reply) => reply.status === 401)).toBe(true);
      expect(replies.slice(50).every((reply) => reply.status === 429)).toBe(true);
      // Another address is not affected.
      expect((await h.login('acme', 'carol', 'carol-password-1', '10.3.0.2')).status).toBe(200);
    }, 60_000);
  });

  it('never shows a secret after creation: not in logs, lists, or the audit log', async () => {
    const pair = (await h.login('acme', 'carol', 'carol-password-1')).body.data;
    secrets.push(pair.refreshToken, pair.accessToken);
    const client = await create('/v1/admin/tenants/acme/clients', { name: 'grep', scopes: [] });
    secrets.push(client.clientSecret);
    await h.call('public', {
      method: 'POST',
      url: '/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_secret: 'wrong-on-purpose',
      }).toString(),
    });
    await h.call('public', {
      method: 'POST',
      url: '/auth/password',
      headers: bearer(pair.accessToken),
      payload: { currentPassword: 'carol-password-1', newPassword: 'carol-password-2' },
    });
    secrets.push('carol-password-2', 'wrong-on-purpose');
    const lists = await Promise.all(
      [
        '/v1/admin/tenants/acme/users?limit=200',
        '/v1/admin/tenants/acme/api-keys',
        '/v1/admin/tenants/acme/clients',
        '/v1/admin/audit?limit=200',
        '/v1/admin/keys',
        '/v1/admin/tenants',
      ].map((url) => h.call('admin', { method: 'GET', url, headers: bearer(admin) })),
    );
    const audit = await h.store.db.selectFrom('audit_log').selectAll().execute();
    const haystacks = {
      logs: h.logs.join('\n'),
      lists: lists.map((reply) => reply.text).join('\n'),
      audit: JSON.stringify(audit),
    };
    expect(haystacks.logs.length).toBeGreaterThan(0);
    expect(audit.length).toBeGreaterThan(10);
    const secretParts = secrets.flatMap((secret) =>
      secret.includes('.') && secret.startsWith('pk_') ? [secret, secret.split('.')[1] as string] : [secret],
    );
    for (const [where, text] of Object.entries(haystacks)) {
      for (const secret of secretParts) expect(text.includes(secret), `${where} contains a secret`).toBe(false);
    }
    expect(JSON.stringify(audit)).toContain('"password":"[redacted]"');
  });
});
