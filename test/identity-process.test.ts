/**
 * Identity in a real `portico start` process, as a user runs it: the first start creates the
 * platform admin (generated password shown once, or PORTICO_ADMIN_PASSWORD), the public port
 * serves /auth/* and the JWKS beside the proxy, the admin port serves /v1/admin and /docs, the
 * embedded store survives a restart, and the same process runs on real PostgreSQL.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, request } from './support/http.js';
import { TEST_STORE_KEYS } from './support/identity.js';
import { type PostgresServer, startPostgres } from './support/postgres.js';
import { type PorticoProc, startPortico } from './support/processes.js';

const PASSWORD = 'process-test-admin-password';
const STARTUP = { timeout: 60_000 };

async function login(url: string, tenant: string, username: string, password: string) {
  return postJson(`${url}/auth/login`, { tenant, username, password });
}

describe('first start on the embedded store', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'portico-identity-'));
  let portico: PorticoProc | undefined;
  afterAll(() => portico?.stop());

  it('generates the admin password, shows it once, and keeps the admin across a restart', async () => {
    portico = await startPortico({ PORTICO_DATA_DIR: dataDir });
    const banner = await portico.waitForLine(/^ {4}\S{24}$/);
    const password = banner.trim();
    expect(portico.lines.filter((line) => line.includes(password))).toHaveLength(1);
    expect((await login(portico.publicUrl, 'platform', 'admin', password)).status).toBe(200);
    expect(await portico.stop()).toBe(0);

    portico = await startPortico({ PORTICO_DATA_DIR: dataDir, PORTICO_ADMIN_PASSWORD: 'ignored-after-first-start' });
    expect(portico.lines.join('\n')).not.toContain('created the platform admin');
    expect((await login(portico.publicUrl, 'platform', 'admin', password)).status).toBe(200);
    expect((await login(portico.publicUrl, 'platform', 'admin', 'ignored-after-first-start')).status).toBe(401);
  }, 90_000);
});

describe.each(['pglite', 'postgres'] as const)('a Portico process on %s', (engine) => {
  let pg: PostgresServer | undefined;
  let portico: PorticoProc;
  const seen: string[] = [PASSWORD];

  beforeAll(async () => {
    const env: Record<string, string> = { PORTICO_ADMIN_PASSWORD: PASSWORD, PORTICO_LOG_LEVEL: 'debug' };
    if (engine === 'postgres') {
      pg = await startPostgres();
      env.PORTICO_DATABASE_URL = await pg.createDatabase('portico');
      // A PostgreSQL store refuses to start without a key-encryption key (docs/identity.md, "Keys at rest").
      env.PORTICO_STORE_KEYS = TEST_STORE_KEYS;
      seen.push(TEST_STORE_KEYS.split(':')[1] as string);
    }
    portico = await startPortico(env);
  }, STARTUP.timeout);
  afterAll(async () => {
    await portico?.stop();
    await pg?.stop();
  });

  it('walks from login to a refreshed token over real HTTP', async () => {
    const signedIn = await login(portico.publicUrl, 'platform', 'admin', PASSWORD);
    expect(signedIn.status).toBe(200);
    const { accessToken, refreshToken } = signedIn.body.data;
    seen.push(accessToken, refreshToken);
    const me = await request(`${portico.publicUrl}/auth/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(me.body.data).toMatchObject({ username: 'admin', tenant: 'platform', roles: ['super_admin'] });
    const refreshed = await postJson(`${portico.publicUrl}/auth/refresh`, { refreshToken });
    expect(refreshed.status).toBe(200);
    seen.push(refreshed.body.data.refreshToken, refreshed.body.data.accessToken);
    const jwks = await request(`${portico.publicUrl}/.well-known/jwks.json`);
    expect(jwks.body.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    const logout = await postJson(`${portico.publicUrl}/auth/logout`, {
      refreshToken: refreshed.body.data.refreshToken,
    });
    expect(logout.body.data).toEqual({ loggedOut: true });
  });

  it('serves the admin API with a bearer token, and the proxy still answers beside /auth', async () => {
    const token = (await login(portico.publicUrl, 'platform', 'admin', PASSWORD)).body.data.accessToken;
    const auth = { authorization: `Bearer ${token}` };
    const tenant = await postJson(
      `${portico.adminUrl}/v1/admin/tenants`,
      { name: 'acme', displayName: 'Acme' },
      { headers: { ...auth, 'content-type': 'application/json' } },
    );
    expect(tenant.status).toBe(201);
    const key = await postJson(
      `${portico.adminUrl}/v1/admin/tenants/acme/api-keys`,
      { name: 'k' },
      { headers: { ...auth, 'content-type': 'application/json' } },
    );
    seen.push(key.body.data.key);
    const me = await request(`${portico.publicUrl}/auth/me`, { headers: { 'x-api-key': key.body.data.key } });
    expect(me.body.data).toMatchObject({ kind: 'api-key', tenant: 'acme' });
    expect((await request(`${portico.publicUrl}/api/nothing/here`)).status).toBe(404);
    expect((await request(`${portico.adminUrl}/v1/admin/tenants`)).status).toBe(401);
  });

  it('answers a parallel login burst beyond the throttle with 429', async () => {
    const replies = await Promise.all(
      Array.from({ length: 12 }, () => login(portico.publicUrl, 'platform', 'admin', 'not-the-password')),
    );
    const statuses = replies.map((reply) => reply.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(7);
    expect(replies.find((reply) => reply.status === 429)?.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('documents both surfaces at /docs on the admin port', async () => {
    const page = await request(`${portico.adminUrl}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).toContain('/auth/login');
    expect(page.text).toContain('/v1/admin/tenants/{tenant}/users');
    const publicDoc = await request(`${portico.adminUrl}/docs/public/openapi.json`);
    expect(Object.keys(publicDoc.body.paths)).toEqual(
      expect.arrayContaining(['/auth/login', '/auth/refresh', '/auth/token', '/.well-known/jwks.json']),
    );
    const adminDoc = await request(`${portico.adminUrl}/docs/openapi.json`);
    expect(adminDoc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(adminDoc.body.paths)).toEqual(
      expect.arrayContaining(['/v1/admin/audit', '/v1/registry/instances']),
    );
  });

  it('never writes a password or token into its output', async () => {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const output = portico.lines.join('\n');
    expect(output).toContain('auth request');
    for (const secret of [...seen, ...seen.filter((s) => s.startsWith('pk_')).map((s) => s.split('.')[1] as string)]) {
      expect(output.includes(secret)).toBe(false);
    }
  });
});
