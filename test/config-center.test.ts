/**
 * The tenant config center against a real Portico process (docs/config-center.md): entries per
 * tenant and service with revisions and compare-and-set, bad input answered with stable 4xx codes,
 * who may read and write what (tenant isolation), the audit trail, the SSE watch with resume and
 * resync, and a real SDK service process following its entry live through `createConfigCenter`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCreator, signIn } from './support/admin.js';
import { type Json, request } from './support/http.js';
import { ADMIN_PASSWORD } from './support/identity.js';
import { type PorticoProc, type Proc, spawnNode, startPortico } from './support/processes.js';
import { openSse } from './support/sse.js';

describe('config center', () => {
  let portico: PorticoProc;
  /** Bearer tokens and API keys of the callers the tests play. */
  const as: Record<string, Record<string, string>> = {};
  let create: (path: string, body: unknown) => Promise<Json>;

  const url = (path: string) => `${portico.adminUrl}/v1/config${path}`;
  const call = (method: string, path: string, who: string, body?: unknown, headers: Record<string, string> = {}) =>
    request(url(path), {
      method,
      headers: {
        ...(as[who] ?? {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });

  beforeAll(async () => {
    portico = await startPortico({ PORTICO_ADMIN_PASSWORD: ADMIN_PASSWORD });
    const admin = await signIn(portico, 'platform', 'admin', ADMIN_PASSWORD);
    as.admin = { authorization: `Bearer ${admin}` };
    create = adminCreator(portico, admin);
    await create('/tenants', { name: 'acme', displayName: 'Acme', enabledServices: ['orders'] });
    await create('/tenants', { name: 'globex', displayName: 'Globex', enabledServices: ['orders'] });
    await create('/tenants/acme/users', { username: 'boss', password: 'boss-password-123', roles: ['tenant_admin'] });
    await create('/tenants/acme/users', { username: 'carol', password: 'carol-password-1' });
    await create('/tenants/globex/users', { username: 'gina', password: 'gina-password-123', roles: ['tenant_admin'] });
    as.boss = { authorization: `Bearer ${await signIn(portico, 'acme', 'boss', 'boss-password-123')}` };
    as.carol = { authorization: `Bearer ${await signIn(portico, 'acme', 'carol', 'carol-password-1')}` };
    as.gina = { authorization: `Bearer ${await signIn(portico, 'globex', 'gina', 'gina-password-123')}` };
    const key = async (tenant: string, scopes: string[]) =>
      (await create(`/tenants/${tenant}/api-keys`, { name: `k-${scopes.join('-') || 'none'}`, scopes })).key as string;
    as.acmeReader = { 'x-api-key': await key('acme', ['config.read']) };
    as.acmeBare = { 'x-api-key': await key('acme', []) };
    as.platformReader = { 'x-api-key': await key('platform', ['config.read']) };
  });
  afterAll(async () => {
    await portico?.stop();
  });

  it('keeps one entry per tenant and service, each write a new revision, If-Match a compare-and-set', async () => {
    const created = await call(
      'PUT',
      '/acme/orders',
      'boss',
      { values: { theme: 'dark', seats: 5 } },
      { 'if-match': '"0"' },
    );
    expect(created.status, created.text).toBe(200);
    const first = created.body.data.revision as number;
    expect(created.headers.get('etag')).toBe(`"${first}"`);
    expect(created.body.data).toMatchObject({ tenant: 'acme', service: 'orders', values: { theme: 'dark', seats: 5 } });
    expect(created.body.data.updatedBy).toBe('boss');

    // "0" means "must not exist yet": a second create loses.
    const again = await call('PUT', '/acme/orders', 'boss', { values: {} }, { 'if-match': '"0"' });
    expect(again.status).toBe(412);
    expect(again.body.error).toMatchObject({ code: 'PRECONDITION_FAILED', details: { revision: first } });

    // Another tenant's entry of the same service is another entry.
    const other = await call('PUT', '/globex/orders', 'gina', { values: { theme: 'light' } });
    expect(other.status, other.text).toBe(200);
    expect(other.body.data.revision).toBeGreaterThan(first);

    const patched = await call(
      'PATCH',
      '/acme/orders',
      'boss',
      { values: { seats: null, limits: { rps: 3 } } },
      {
        'if-match': `"${first}"`,
      },
    );
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.data.values).toEqual({ theme: 'dark', limits: { rps: 3 } });
    const second = patched.body.data.revision as number;

    // A writer holding the first revision lost the race: 412, and nothing changes.
    const stale = await call(
      'PUT',
      '/acme/orders',
      'boss',
      { values: { theme: 'stale' } },
      { 'if-match': `"${first}"` },
    );
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe('PRECONDITION_FAILED');
    const read = await call('GET', '/acme/orders', 'boss');
    expect(read.status).toBe(200);
    expect(read.headers.get('etag')).toBe(`"${second}"`);
    expect(read.body.data.values).toEqual({ theme: 'dark', limits: { rps: 3 } });
    expect((await call('GET', '/globex/orders', 'gina')).body.data.values).toEqual({ theme: 'light' });

    const list = await call('GET', '/acme', 'boss');
    expect(list.body.data.map((entry: Json) => entry.service)).toEqual(['orders']);

    await call('PUT', '/acme/scratch', 'boss', { values: { a: 1 } });
    const staleDelete = await call('DELETE', '/acme/scratch', 'boss', undefined, { 'if-match': '"1"' });
    expect(staleDelete.status).toBe(412);
    const deleted = await call('DELETE', '/acme/scratch', 'boss');
    expect(deleted.status).toBe(200);
    expect(deleted.body.data).toMatchObject({ deleted: true });
    expect((await call('GET', '/acme/scratch', 'boss')).body.error.code).toBe('NOT_FOUND');
    expect((await call('DELETE', '/acme/scratch', 'boss')).status).toBe(404);
  });

  it('answers bad input with a stable 4xx code, never a 500', async () => {
    const huge = { values: { blob: 'x'.repeat(2 * 1024 * 1024) } };
    const cases: [string, string, unknown, Record<string, string>, number, string][] = [
      ['PUT', '/acme/orders', '{"values": {', {}, 400, 'VALIDATION_ERROR'],
      ['PUT', '/acme/orders', { values: [1, 2] }, {}, 400, 'VALIDATION_ERROR'],
      ['PUT', '/acme/orders', { values: 'dark' }, {}, 400, 'VALIDATION_ERROR'],
      ['PUT', '/acme/orders', { values: null }, {}, 400, 'VALIDATION_ERROR'],
      ['PUT', '/acme/orders', { theme: 'dark' }, {}, 400, 'VALIDATION_ERROR'],
      ['PUT', '/acme/orders', { values: {}, extra: 1 }, {}, 400, 'VALIDATION_ERROR'],
      ['PUT', '/acme/orders', [], {}, 400, 'VALIDATION_ERROR'],
      ['PUT', '/acme/orders', { values: { '': 1 } }, {}, 400, 'VALIDATION_ERROR'],
      ['PUT', '/acme/orders', { values: { ['k'.repeat(129)]: 1 } }, {}, 400, 'VALIDATION_ERROR'],
      ['PUT', '/acme/Bad_Name', { values: {} }, {}, 400, 'VALIDATION_ERROR'],
      ['PUT', '/acme/orders', { values: {} }, { 'if-match': 'W/"abc"' }, 400, 'VALIDATION_ERROR'],
      ['PUT', '/acme/orders', { values: { blob: 'x'.repeat(70 * 1024) } }, {}, 413, 'PAYLOAD_TOO_LARGE'],
      ['PUT', '/acme/orders', huge, {}, 413, 'PAYLOAD_TOO_LARGE'],
      ['PATCH', '/acme/orders', { values: { blob: 'x'.repeat(70 * 1024) } }, {}, 413, 'PAYLOAD_TOO_LARGE'],
      ['GET', '/nope/orders', undefined, {}, 404, 'NOT_FOUND'],
      ['PUT', '/acme/orders', 'values=1', { 'content-type': 'application/x-www-form-urlencoded' }, 415, ''],
    ];
    for (const [method, path, body, headers, status, code] of cases) {
      const reply = await call(method, path, 'admin', body, headers);
      const label = `${method} ${path} ${JSON.stringify(body)?.slice(0, 60)} → ${reply.text.slice(0, 200)}`;
      expect(reply.status, label).toBe(status);
      expect(reply.body?.success, label).toBe(false);
      if (code) expect(reply.body.error.code, label).toBe(code);
      else expect(reply.body.error.code, label).toMatch(/^[A-Z_]+$/);
    }
    // None of them changed the entry.
    expect((await call('GET', '/acme/orders', 'boss')).body.data.values).toEqual({ theme: 'dark', limits: { rps: 3 } });
  });

  it('keeps each tenant to its own entries, with the right code for each caller', async () => {
    const body = { values: { theme: 'hacked' } };
    const expectations: [string, string, string, unknown, number, string | undefined][] = [
      ['GET', '/acme/orders', 'anonymous', undefined, 401, 'AUTHENTICATION_ERROR'],
      ['GET', '/acme/orders', 'carol', undefined, 403, 'AUTHORIZATION_ERROR'],
      ['PUT', '/acme/orders', 'carol', body, 403, 'AUTHORIZATION_ERROR'],
      // Globex's admin gets the same 403 for acme as for a tenant that does not exist.
      ['GET', '/acme/orders', 'gina', undefined, 403, 'AUTHORIZATION_ERROR'],
      ['GET', '/nope/orders', 'gina', undefined, 403, 'AUTHORIZATION_ERROR'],
      ['PUT', '/acme/orders', 'gina', body, 403, 'AUTHORIZATION_ERROR'],
      ['PATCH', '/acme/orders', 'gina', body, 403, 'AUTHORIZATION_ERROR'],
      ['DELETE', '/acme/orders', 'gina', undefined, 403, 'AUTHORIZATION_ERROR'],
      ['GET', '/acme', 'gina', undefined, 403, 'AUTHORIZATION_ERROR'],
      ['GET', '/acme/_watch', 'gina', undefined, 403, 'AUTHORIZATION_ERROR'],
      // A service's key of acme with config.read reads, and may not write; a bare key neither.
      ['GET', '/acme/orders', 'acmeReader', undefined, 200, undefined],
      ['PUT', '/acme/orders', 'acmeReader', body, 403, 'AUTHORIZATION_ERROR'],
      ['GET', '/globex/orders', 'acmeReader', undefined, 403, 'AUTHORIZATION_ERROR'],
      ['GET', '/acme/orders', 'acmeBare', undefined, 403, 'AUTHORIZATION_ERROR'],
      // A platform key with config.read reads the services a tenant enabled, not the others.
      ['GET', '/acme/orders', 'platformReader', undefined, 200, undefined],
      ['GET', '/globex/orders', 'platformReader', undefined, 200, undefined],
      ['PUT', '/acme/orders', 'platformReader', body, 403, 'AUTHORIZATION_ERROR'],
    ];
    await call('PUT', '/acme/billing', 'boss', { values: { plan: 'gold' } });
    expectations.push(['GET', '/acme/billing', 'platformReader', undefined, 403, 'AUTHORIZATION_ERROR']);
    for (const [method, path, who, payload, status, code] of expectations) {
      const reply = await call(method, path, who, payload);
      const label = `${who} ${method} ${path}: ${reply.text.slice(0, 200)}`;
      expect(reply.status, label).toBe(status);
      if (code) expect(reply.body.error.code, label).toBe(code);
    }
    // The list holds only what the caller may read.
    const listed = await call('GET', '/acme', 'platformReader');
    expect(listed.body.data.map((entry: Json) => entry.service)).toEqual(['orders']);
    expect((await call('GET', '/acme/orders', 'boss')).body.data.values.theme).toBe('dark');
  });

  it('audits every write with who, what and the revision', async () => {
    const put = await call('PUT', '/acme/audited', 'boss', { values: { level: 1 } });
    await call('PATCH', '/acme/audited', 'boss', { values: { level: 2 } });
    await call('DELETE', '/acme/audited', 'boss');
    const audit = await request(`${portico.adminUrl}/v1/admin/audit?tenant=acme&limit=100`, { headers: as.admin });
    expect(audit.status, audit.text).toBe(200);
    const mine = (audit.body.data.entries as Json[]).filter((entry) => entry.target === 'acme/audited');
    expect(mine.map((entry) => entry.action).sort()).toEqual(['config.delete', 'config.patch', 'config.put']);
    const putEntry = mine.find((entry) => entry.action === 'config.put');
    expect(putEntry).toMatchObject({ actor: 'boss', tenant: 'acme' });
    expect(putEntry.changes).toMatchObject({ revision: put.body.data.revision, values: { level: 1 } });
    // A refused write leaves no trace.
    await call('PUT', '/acme/audited', 'gina', { values: { level: 9 } });
    const after = await request(`${portico.adminUrl}/v1/admin/audit?tenant=acme&limit=100`, { headers: as.admin });
    expect((after.body.data.entries as Json[]).filter((entry) => entry.target === 'acme/audited')).toHaveLength(3);
  });

  it('pushes each change live, resumes with Last-Event-ID, and resyncs from a point it cannot resume', async () => {
    const stream = await openSse(url('/acme/_watch?service=orders'), as.acmeReader);
    try {
      const snapshot = await stream.next();
      expect(snapshot.event).toBe('snapshot');
      expect(snapshot.data.entries.map((entry: Json) => entry.service)).toEqual(['orders']);
      expect((await stream.next()).event).toBe('ready');
      // Another tenant's and another service's writes are not this stream's business.
      await call('PUT', '/globex/orders', 'gina', { values: { theme: 'globex-only' } });
      await call('PUT', '/acme/billing', 'boss', { values: { plan: 'silver' } });
      const put = await call('PATCH', '/acme/orders', 'boss', { values: { theme: 'blue' } });
      const change = await stream.next(10_000);
      expect(change.event).toBe('change');
      expect(change.id).toBe(String(put.body.data.revision));
      expect(change.data).toMatchObject({ tenant: 'acme', service: 'orders', kind: 'put' });
      expect(change.data.values.theme).toBe('blue');
    } finally {
      stream.close();
    }
    const last = Number((await call('GET', '/acme/orders', 'boss')).body.data.revision);

    // Missed while nobody watched: two changes of orders; the resumed stream replays exactly them.
    await call('PATCH', '/acme/orders', 'boss', { values: { theme: 'green' } });
    await call('PATCH', '/acme/orders', 'boss', { values: { theme: 'red' } });
    const resumed = await openSse(url('/acme/_watch?service=orders'), {
      ...as.acmeReader,
      'last-event-id': String(last),
    });
    try {
      const replay = [await resumed.next(), await resumed.next(), await resumed.next()];
      expect(replay.map((event) => event.event)).toEqual(['change', 'change', 'ready']);
      expect(replay.slice(0, 2).map((event) => event.data.values.theme)).toEqual(['green', 'red']);
    } finally {
      resumed.close();
    }

    // A revision from the future (another deployment's, or a reset store's): a resync snapshot.
    const resync = await openSse(url('/acme/_watch?service=orders&since=999999999'), as.acmeReader);
    try {
      const first = await resync.next();
      expect(first.event).toBe('snapshot');
      expect(first.data).toMatchObject({ resync: true, since: 999999999 });
      expect(first.data.entries[0].values.theme).toBe('red');
    } finally {
      resync.close();
    }
    const badId = await call('GET', '/acme/_watch', 'boss', undefined, { 'last-event-id': 'abc' });
    expect(badId.status).toBe(400);
    expect(badId.body.error.code).toBe('VALIDATION_ERROR');
  });

  it("tells a real SDK service process of its tenant's entry, live", async () => {
    const put = await call('PUT', '/acme/greeter', 'boss', { values: { greeting: 'hello' } });
    const key = (await create('/tenants/acme/api-keys', { name: 'greeter', scopes: ['config.read'] })).key as string;
    const service: Proc = spawnNode(['test/fixtures/config-service.mjs'], {
      PORTICO_REGISTRY_URL: portico.adminUrl,
      SERVICE_NAME: 'greeter',
      TENANT: 'acme',
      API_KEY: key,
    });
    try {
      await service.waitForLine(/^ready hello$/, 30_000);
      expect(service.lines).toContain(`entry ${put.body.data.revision} {"greeting":"hello"}`);
      expect(service.lines).toContain(`config ${put.body.data.revision} {"greeting":"hello"}`);
      const changed = await call('PATCH', '/acme/greeter', 'boss', { values: { greeting: 'bonjour' } });
      await service.waitForLine(
        new RegExp(`^config ${changed.body.data.revision} \\{"greeting":"bonjour"\\}$`),
        15_000,
      );
      // Another tenant's entry of the same service never reaches it.
      await call('PUT', '/globex/greeter', 'gina', { values: { greeting: 'globex' } });
      const deleted = await call('DELETE', '/acme/greeter', 'boss');
      await service.waitForLine(new RegExp(`^config ${deleted.body.data.revision} \\{\\} deleted$`), 15_000);
      expect(service.lines.some((line) => line.includes('globex'))).toBe(false);
    } finally {
      await service.stop();
    }
  });
});
