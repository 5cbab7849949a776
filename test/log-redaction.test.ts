/**
 * No secret reaches the log: a real Portico process at level `debug` (so request bodies are
 * logged too, through the redaction) takes logins, refreshes, a password change, and proxied
 * requests carrying a bearer token, a cookie and an API key; then its whole output is searched
 * for every one of those secrets. The access lines of those requests name the tenant and user.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { postJson, request, waitUntil } from './support/http.js';
import { type PorticoProc, type ServiceProc, startPortico, startService } from './support/processes.js';

const ADMIN_PASSWORD = 'admin-Secret-Pw-7f3a9c';
const USER_PASSWORD = 'carol-Secret-Pw-51e0b2';
const NEW_PASSWORD = 'carol-New-Secret-Pw-c84d17';
const WRONG_PASSWORD = 'wrong-Secret-Pw-0a9e44';
const COOKIE = 'session-cookie-Secret-2b7e61';
/** Links carry secrets in query strings (reset links, signed URLs): the access line omits the query. */
const QUERY_SECRET = 'reset-link-Secret-93fd02';

describe('log redaction', () => {
  const running: { stop(signal?: NodeJS.Signals): Promise<unknown> }[] = [];
  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop('SIGKILL')));
  });

  it('never writes passwords, tokens, cookies or API keys, and names the caller in the access line', async () => {
    const portico: PorticoProc = await startPortico({
      PORTICO_ADMIN_PASSWORD: ADMIN_PASSWORD,
      PORTICO_LOG_LEVEL: 'debug',
    });
    running.push(portico);
    const echo: ServiceProc = await startService('echo-service', portico.adminUrl, { AUTH_MODE: 'any' });
    running.push(echo);
    const secrets: string[] = [ADMIN_PASSWORD, USER_PASSWORD, NEW_PASSWORD, WRONG_PASSWORD, COOKIE, QUERY_SECRET];

    const adminLogin = await postJson(`${portico.publicUrl}/auth/login`, {
      tenant: 'platform',
      username: 'admin',
      password: ADMIN_PASSWORD,
    });
    expect(adminLogin.status, adminLogin.text).toBe(200);
    const adminToken: string = adminLogin.body.data.accessToken;
    secrets.push(adminToken, adminLogin.body.data.refreshToken);
    const admin = { headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' } };
    const create = async (path: string, body: unknown) => {
      const reply = await postJson(`${portico.adminUrl}/v1/admin${path}`, body, admin);
      expect(reply.status, `${path}: ${reply.text}`).toBe(201);
      return reply.body.data;
    };
    await create('/tenants', { name: 'acme', displayName: 'Acme', enabledServices: ['echo'] });
    const carol = await create('/tenants/acme/users', { username: 'carol', password: USER_PASSWORD });
    const apiKey: string = (await create('/tenants/acme/api-keys', { name: 'k' })).key;
    secrets.push(apiKey);

    const wrong = await postJson(`${portico.publicUrl}/auth/login`, {
      tenant: 'acme',
      username: 'carol',
      password: WRONG_PASSWORD,
    });
    expect(wrong.status).toBe(401);
    const login = await postJson(`${portico.publicUrl}/auth/login`, {
      tenant: 'acme',
      username: 'carol',
      password: USER_PASSWORD,
    });
    expect(login.status, login.text).toBe(200);
    const { accessToken, refreshToken } = login.body.data as { accessToken: string; refreshToken: string };
    secrets.push(accessToken, refreshToken);

    const asCarol = { authorization: `Bearer ${accessToken}` };
    await waitUntil(
      async () => (await request(`${portico.publicUrl}/api/echo/x`, { headers: asCarol })).status === 200,
    );
    const requestId = 'redaction-bearer';
    const proxied = await request(`${portico.publicUrl}/api/echo/profile?reset=${QUERY_SECRET}`, {
      headers: { authorization: `Bearer ${accessToken}`, cookie: `sid=${COOKIE}`, 'x-request-id': requestId },
    });
    expect(proxied.status, proxied.text).toBe(200);
    const withKey = await request(`${portico.publicUrl}/api/echo/profile`, {
      headers: { 'x-api-key': apiKey, cookie: `sid=${COOKIE}` },
    });
    expect(withKey.status, withKey.text).toBe(200);
    const refreshed = await postJson(`${portico.publicUrl}/auth/refresh`, { refreshToken });
    expect(refreshed.status, refreshed.text).toBe(200);
    secrets.push(refreshed.body.data.accessToken, refreshed.body.data.refreshToken);
    const changed = await postJson(
      `${portico.publicUrl}/auth/password`,
      { currentPassword: USER_PASSWORD, newPassword: NEW_PASSWORD },
      { headers: { authorization: `Bearer ${refreshed.body.data.accessToken}`, 'content-type': 'application/json' } },
    );
    expect(changed.status, changed.text).toBe(200);
    // A client that puts a secret in the query of an identity call: its log line keeps the path only.
    const queried = await postJson(`${portico.publicUrl}/auth/refresh?token=${QUERY_SECRET}`, { refreshToken: 'x' });
    expect(queried.status).toBeGreaterThanOrEqual(400);

    // The access line of the bearer request says who called, not how they proved it.
    const line = JSON.parse(await portico.waitForLine(new RegExp(`"requestId":"${requestId}".*"msg":"request"`)));
    expect(line).toMatchObject({ tenant: 'acme', user: carol.id, service: 'echo', status: 200 });

    // Stopping flushes the asynchronous log; then every line the process wrote is searched.
    await portico.stop('SIGTERM');
    const output = portico.lines.join('\n');
    expect(output).toContain('"msg":"portico stopped"');
    expect(output).toContain('auth request body');
    const leaked = secrets.filter((secret) => output.includes(secret));
    // A token's signature alone would be enough to notice a partial leak.
    const signatures = secrets.filter((s) => s.split('.').length === 3).map((jwt) => jwt.split('.')[2] as string);
    expect(leaked).toEqual([]);
    expect(signatures.filter((signature) => output.includes(signature))).toEqual([]);
  }, 90_000);
});
