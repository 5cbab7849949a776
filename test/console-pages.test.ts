/**
 * The console's admin pages in a real browser (Debian's chromium through playwright-core)
 * against a real Portico: tenants, users, roles, API keys and clients, declared routes, the
 * audit log and signing keys, each created and deleted through the UI and checked through the
 * API; field errors from the API's details; a tenant_admin kept to their tenant by the UI, the
 * router and the API; payloads shown as text. Fails on any CSP violation or uncaught error.
 */
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCreator, signIn } from './support/admin.js';
import { launchBrowser, signInConsole, type WatchedPage, watchedPage } from './support/browser.js';
import { type Json, request } from './support/http.js';
import { type PorticoProc, type ServiceProc, startPortico, startService } from './support/processes.js';

const PASSWORD = 'console-pages-admin-password';
const XSS = '<img src=x onerror="window.__xss=1">';

let portico: PorticoProc;
let browser: Browser;
let context: BrowserContext;
let admin: WatchedPage;
let token: string;
let create: (path: string, body: unknown) => Promise<Json>;

/** The admin API as the platform admin (bearer token), for setting up and checking. */
function adminApi(method: string, path: string, body?: unknown) {
  return request(`${portico.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

/** Clicks a confirm button twice: once to arm it, once to act. */
async function confirm(button: Locator): Promise<void> {
  await button.click();
  await button.click();
}

/** The error Element Plus shows under the form item holding `#id`. */
function fieldError(page: Page, id: string): Locator {
  return page.locator('.el-form-item', { has: page.locator(`#${id}`) }).locator('.el-form-item__error');
}

async function open(path: string): Promise<Page> {
  const { page } = admin;
  await page.goto(`${portico.adminUrl}/console${path}`);
  await page.locator('h1').waitFor();
  return page;
}

describe('console pages', () => {
  beforeAll(async () => {
    portico = await startPortico({ PORTICO_ADMIN_PASSWORD: PASSWORD });
    token = await signIn(portico, 'platform', 'admin', PASSWORD);
    create = adminCreator(portico, token);
    await create('/tenants', { name: 'pages', displayName: 'Pages' });
    browser = await launchBrowser();
    context = await browser.newContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: portico.adminUrl });
    admin = await watchedPage(context);
    await signInConsole(admin.page, portico.adminUrl, 'platform', 'admin', PASSWORD);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await portico?.stop();
  });

  it('creates and deletes a tenant, and asks again before taking its users with it', async () => {
    const page = await open('/tenants');
    await page.locator('#tenant-name').fill('doomed');
    await page.locator('#tenant-display').fill('Doomed');
    await page.locator('[data-test=tenant-create]').click();
    const row = page.locator('tr[data-name="doomed"]');
    await row.waitFor();
    await confirm(row.locator('[data-test=delete]'));
    await row.waitFor({ state: 'detached' });
    expect((await adminApi('GET', '/v1/admin/tenants/doomed')).status).toBe(404);

    await create('/tenants', { name: 'crowded', displayName: 'Crowded' });
    await create('/tenants/crowded/users', { username: 'cora', password: 'cora-password-1' });
    await page.reload();
    const crowded = page.locator('tr[data-name="crowded"]');
    await confirm(crowded.locator('[data-test=delete]'));
    const force = crowded.locator('[data-test=force-delete]');
    await force.waitFor();
    expect(await force.textContent()).toContain('1');
    expect((await adminApi('GET', '/v1/admin/tenants/crowded')).status).toBe(200);
    await confirm(force);
    await crowded.waitFor({ state: 'detached' });
    expect((await adminApi('GET', '/v1/admin/tenants/crowded')).status).toBe(404);
  });

  it('changes a tenant’s services and config, with field errors first', async () => {
    await create('/tenants', { name: 'edited', displayName: 'Edited' });
    const page = await open('/tenants');
    const row = page.locator('tr[data-name="edited"]');
    await row.locator('[data-test=edit]').click();
    await page.locator('#edit-services').fill('orders, Bad Service');
    await page.locator('#edit-config').fill('{nope');
    await page.locator('[data-test=tenant-save]').click();
    await expect.poll(() => fieldError(page, 'edit-config').count()).toBe(1);
    await page.locator('#edit-config').fill('{"theme": "dark"}');
    await page.locator('[data-test=tenant-save]').click();
    await expect.poll(() => fieldError(page, 'edit-services').count()).toBe(1);
    await page.locator('#edit-services').fill('orders, billing');
    await page.locator('[data-test=tenant-save]').click();
    await page.locator('[data-test=tenant-edit]').waitFor({ state: 'detached' });
    await expect.poll(() => row.locator('td').nth(3).textContent()).toBe('orders, billing');
    const stored = await adminApi('GET', '/v1/admin/tenants/edited');
    expect(stored.body.data).toMatchObject({ enabledServices: ['orders', 'billing'], config: { theme: 'dark' } });
  });

  it('creates a user (field error first), changes its roles, and deletes it', async () => {
    const page = await open('/tenants/pages/users');
    await page.locator('#user-name').fill('bad name!');
    await page.locator('#user-password').fill('short');
    await page.locator('[data-test=user-create]').click();
    await expect.poll(() => fieldError(page, 'user-name').count()).toBe(1);
    expect(await fieldError(page, 'user-password').textContent()).toContain('8');
    await page.locator('#user-name').fill('alice');
    await page.locator('#user-email').fill('alice@pages.test');
    await page.locator('#user-password').fill('alice-password-1');
    await page.locator('[data-test=user-create]').click();
    const row = page.locator('tr[data-name="alice"]');
    await row.waitFor();
    await expect.poll(() => fieldError(page, 'user-name').count()).toBe(0);
    await row.locator('[data-test=edit-roles]').click();
    await row.locator('[data-test=edit-role-tenant_admin]').check();
    await row.locator('[data-test=save-roles]').click();
    await expect.poll(() => row.locator('td').nth(2).textContent()).toContain('tenant_admin');
    const listed = await adminApi('GET', '/v1/admin/tenants/pages/users');
    const alice = listed.body.data.users.find((user: { username: string }) => user.username === 'alice');
    expect(alice.roles).toEqual(['user', 'tenant_admin']);
    await confirm(row.locator('[data-test=delete]'));
    await row.waitFor({ state: 'detached' });
    expect((await adminApi('GET', `/v1/admin/tenants/pages/users/${alice.id}`)).status).toBe(404);
  });

  it('creates a role (field error first), edits its permissions, shows a payload as text, and deletes it', async () => {
    const page = await open('/tenants/pages/roles');
    await page.locator('#role-name').fill('editor');
    await page.locator('#role-description').fill(XSS);
    await page.locator('#role-permissions').fill('NOT A PERMISSION');
    await page.locator('[data-test=role-create]').click();
    await expect.poll(() => fieldError(page, 'role-permissions').count()).toBe(1);
    await page.locator('#role-permissions').fill('posts.read');
    await page.locator('[data-test=role-create]').click();
    const row = page.locator('tr[data-name="editor"]');
    await row.waitFor();
    expect(await row.locator('td').nth(1).textContent()).toBe(XSS);
    expect(await row.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();
    await row.locator('[data-test=edit-permissions-start]').click();
    await row.locator('.inline-edit input').fill('posts.read, posts.write');
    await row.locator('[data-test=save-permissions]').click();
    await expect.poll(() => row.locator('td').nth(2).textContent()).toBe('posts.read, posts.write');
    const roles = await adminApi('GET', '/v1/admin/tenants/pages/roles');
    expect(roles.body.data.find((role: { name: string }) => role.name === 'editor').permissions).toEqual([
      'posts.read',
      'posts.write',
    ]);
    await confirm(row.locator('[data-test=delete]'));
    await row.waitFor({ state: 'detached' });
  });

  it('creates an API key shown once (copy button), counts down its expiry, and revokes it', async () => {
    const page = await open('/tenants/pages/credentials');
    await page.locator('#key-name').fill('ci');
    await page.locator('#key-scopes').fill('orders.read');
    await page.locator('#key-days').fill('30');
    await page.locator('[data-test=key-create]').click();
    const shown = page.locator('[data-test=secret]');
    await shown.waitFor();
    const secret = (await shown.textContent()) ?? '';
    expect(secret).toMatch(/^pk_[a-z0-9]{12}\.[A-Za-z0-9_-]{43}$/);
    await page.locator('[data-test=copy-secret]').click();
    await expect.poll(() => page.evaluate('navigator.clipboard.readText()')).toBe(secret);
    const me = await request(`${portico.publicUrl}/auth/me`, { headers: { 'x-api-key': secret } });
    expect(me.status).toBe(200);
    await page.locator('[data-test=close-secret]').click();
    await shown.waitFor({ state: 'detached' });
    // Shown once: nowhere in the page after the dialog closed, nor after a reload.
    expect(await page.content()).not.toContain(secret);
    expect(await page.content()).not.toContain(secret.split('.')[1]);
    const row = page.locator('[data-test=api-keys] tr[data-name="ci"]');
    await expect.poll(() => row.locator('[data-test=expires-in]').textContent()).toMatch(/^(29d 23h|30d 0h)$/);
    await page.reload();
    await row.waitFor();
    expect(await page.content()).not.toContain(secret.split('.')[1]);
    await confirm(row.locator('[data-test=revoke]'));
    await expect.poll(() => row.locator('td').nth(5).textContent()).toBe('revoked');
    const after = await request(`${portico.publicUrl}/auth/me`, { headers: { 'x-api-key': secret } });
    expect(after.status).toBe(401);
  });

  it('creates a service client shown once, gives it a new secret, and deactivates it', async () => {
    const page = await open('/tenants/pages/credentials');
    await page.locator('#client-name').fill(XSS);
    await page.locator('[data-test=client-create]').click();
    const shown = page.locator('[data-test=secret]');
    await shown.waitFor();
    const first = (await shown.textContent()) ?? '';
    expect(first.length).toBeGreaterThan(20);
    await page.locator('[data-test=close-secret]').click();
    await shown.waitFor({ state: 'detached' });
    const row = page.locator('[data-test=clients] tbody tr').first();
    expect(await row.locator('td').first().textContent()).toBe(XSS);
    expect(await row.locator('img').count()).toBe(0);
    await row.locator('[data-test=rotate]').click();
    await shown.waitFor();
    const second = (await shown.textContent()) ?? '';
    expect(second).not.toBe(first);
    await page.keyboard.press('Escape');
    await shown.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(second);
    await confirm(row.locator('[data-test=revoke]'));
    await expect.poll(() => row.locator('td').nth(3).textContent()).toBe('revoked');
  });

  it('declares, edits and deletes a route, with the API’s errors on their fields', async () => {
    const page = await open('/routes');
    await page.locator('#route-name').fill('shop');
    await page.locator('#route-paths').fill('no-slash');
    await page.locator('#route-service').fill('orders');
    await page.locator('[data-test=route-save]').click();
    await expect.poll(() => fieldError(page, 'route-paths').count()).toBe(1);
    expect(await fieldError(page, 'route-service').count()).toBe(0);
    await page.locator('#route-paths').fill('/shop, /shop/*');
    await page.locator('#route-policies').fill('{"cors": {"origins": []}}');
    await page.locator('[data-test=route-save]').click();
    await expect.poll(() => fieldError(page, 'route-policies').count()).toBe(1);
    await expect.poll(() => fieldError(page, 'route-paths').count()).toBe(0);
    await page.locator('#route-policies').fill('{"cors": {"origins": ["https://app.example.com"]}}');
    await page.locator('[data-test=route-save]').click();
    const row = page.locator('[data-test=routes] tr[data-name="shop"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('/shop, /shop/*');
    expect(await row.textContent()).toContain('app.example.com');

    await row.locator('[data-test=edit]').click();
    expect(await page.locator('#route-paths').inputValue()).toBe('/shop, /shop/*');
    await page.locator('#route-priority').fill('5');
    await page.locator('[data-test=route-save]').click();
    await expect.poll(() => row.locator('td').nth(4).textContent()).toBe('5');
    const stored = await adminApi('GET', '/v1/gateway/routes/shop');
    expect(stored.body.data).toMatchObject({ priority: 5, service: 'orders', source: 'api' });

    // A clash with a route the gateway serves itself: a CONFLICT, shown as the form's error.
    await page.locator('#route-name').fill('hijack');
    await page.locator('#route-paths').fill('/health');
    await page.locator('#route-service').fill('orders');
    await page.locator('[data-test=route-save]').click();
    await expect.poll(() => page.locator('[data-test=route-error]').textContent()).toContain('CONFLICT');

    await confirm(row.locator('[data-test=delete]'));
    await row.waitFor({ state: 'detached' });
    expect((await adminApi('GET', '/v1/gateway/routes/shop')).status).toBe(404);
  });

  it('filters and pages the audit log, with the actor and a before/after diff', async () => {
    // Twelve renames: a diff to read, and more entries than one page holds.
    for (let i = 1; i <= 12; i++) {
      const patched = await adminApi('PATCH', '/v1/admin/tenants/pages', { displayName: `Pages ${i}` });
      expect(patched.status).toBe(200);
    }
    const page = await open('/audit');
    await page.locator('#audit-tenant').fill('pages');
    await page.locator('#audit-action').fill('tenant.update');
    await page.locator('[data-test=audit-apply]').click();
    await expect.poll(() => page.locator('tr[data-action="tenant.update"]').count()).toBe(12);
    expect(await page.locator('tr[data-action]').count()).toBe(12);
    const row = page.locator('tr[data-action="tenant.update"]').first();
    expect(await row.locator('td').nth(1).textContent()).toBe('admin (platform)');
    await row.locator('[data-test=show-changes]').click();
    const diff = page.locator('[data-test=diff] tr[data-field="displayName"]');
    expect(await diff.locator('.before').textContent()).toBe('Pages 11');
    expect(await diff.locator('.after').textContent()).toBe('Pages 12');

    // More than a page of entries: older, then newer again.
    await page.locator('#audit-tenant').fill('');
    await page.locator('#audit-action').fill('');
    await page.locator('[data-test=audit-apply]').click();
    await expect.poll(() => page.locator('tr[data-action]').count()).toBe(25);
    const newest = await page.locator('tr[data-action]').first().getAttribute('data-id');
    await page.locator('[data-test=audit-older]').click();
    await expect.poll(() => page.locator('tr[data-action]').first().getAttribute('data-id')).not.toBe(newest);
    const olderFirst = Number(await page.locator('tr[data-action]').first().getAttribute('data-id'));
    expect(olderFirst).toBeLessThan(Number(newest));
    await page.locator('[data-test=audit-newer]').click();
    await expect.poll(() => page.locator('tr[data-action]').first().getAttribute('data-id')).toBe(newest);
  });

  it('lists and rotates the signing keys', async () => {
    const page = await open('/keys');
    const rows = page.locator('[data-test=keys] tbody tr');
    await rows.first().waitFor();
    const before = await rows.count();
    await confirm(page.locator('[data-test=rotate]'));
    await expect.poll(() => rows.count()).toBe(before + 1);
    expect(await page.locator('tr[data-state="active"]').count()).toBe(1);
    const keys = await adminApi('GET', '/v1/admin/keys');
    expect(keys.body.data).toHaveLength(before + 1);
    // A new token signed by the new key still opens the admin API.
    token = await signIn(portico, 'platform', 'admin', PASSWORD);
    expect((await adminApi('GET', '/v1/admin/keys')).status).toBe(200);
  });

  it('keeps a tenant_admin to their tenant: the menu, a direct URL and the API', async () => {
    await create('/tenants', { name: 'north', displayName: 'North' });
    await create('/tenants', { name: 'south', displayName: 'South' });
    await create('/tenants/north/users', { username: 'nina', password: 'nina-password-1', roles: ['tenant_admin'] });
    await create('/tenants/south/users', { username: 'sam', password: 'sam-password-1' });
    const other = await browser.newContext();
    const { page, problems } = await watchedPage(other);
    await signInConsole(page, portico.adminUrl, 'north', 'nina', 'nina-password-1');
    const nav = page.locator('[data-test=nav]');
    const hrefs = await nav.locator('a').evaluateAll((links) => links.map((link) => link.getAttribute('href')));
    expect(hrefs).toContain('/console/tenants/north/users');
    expect(hrefs).not.toContain('/console/routes');
    expect(hrefs).not.toContain('/console/keys');
    expect(hrefs.some((href) => href?.includes('south'))).toBe(false);
    await nav.locator('a[href="/console/tenants/north/users"]').click();
    await page.locator('tr[data-name="nina"]').waitFor();
    expect(await page.locator('[data-test=tenant-picker]').count()).toBe(0);

    for (const path of [
      '/tenants/south/users',
      '/tenants/south/roles',
      '/tenants/south/credentials',
      '/routes',
      '/keys',
    ]) {
      await page.goto(`${portico.adminUrl}/console${path}`);
      await page.locator('[data-test=forbidden]').waitFor();
      expect(await page.locator('tr[data-name="sam"]').count()).toBe(0);
    }
    const statuses = await page.evaluate(async () => {
      const paths = ['/v1/admin/tenants/south/users', '/v1/admin/tenants/south/roles', '/v1/admin/keys'];
      return Promise.all(paths.map(async (path) => (await fetch(path)).status));
    });
    expect(statuses).toEqual([403, 403, 403]);
    // The audit page shows their tenant only, whatever the URL asks.
    await page.goto(`${portico.adminUrl}/console/audit`);
    await page.locator('tr[data-action]').first().waitFor();
    const tenants = await page.locator('tr[data-action] td:nth-child(3)').allTextContents();
    expect(new Set(tenants)).toEqual(new Set(['north']));
    expect(problems).toEqual([]);
    await other.close();
  });

  it('charts each service’s request and 5xx rates from /metrics on the overview, live', async () => {
    const echo: ServiceProc = await startService('echo-service', portico.adminUrl, { SERVICE_NAME: 'echo' });
    try {
      const page = await open('/overview');
      const row = page.locator('[data-test=service-metrics] tr[data-name="echo"]');
      await row.waitFor();
      // Traffic while the page scrapes every 2 s: first answers, then 503s from the instance.
      const traffic = async (count: number) => {
        for (let i = 0; i < count; i++) {
          await fetch(`${portico.publicUrl}/api/echo/hello`).then((response) => response.arrayBuffer());
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      };
      await traffic(30);
      await expect.poll(() => row.locator('[data-test=rps]').textContent(), { timeout: 10_000 }).not.toBe('0.0');
      await page.locator('figure[data-service="echo"] canvas').waitFor();
      await fetch(`${echo.controlUrl}/behaviour`, { method: 'POST', body: JSON.stringify({ failStatus: 503 }) });
      const failing = traffic(40);
      await expect.poll(() => row.locator('[data-test=errors]').textContent(), { timeout: 10_000 }).not.toBe('0.0');
      await failing;
      expect(await row.locator('td').nth(5).textContent()).toMatch(/ms$/);
    } finally {
      await echo.stop();
    }
  });

  it('opens a page from the command palette (Ctrl+K) and closes it with Escape', async () => {
    const page = await open('/overview');
    await page.keyboard.press('Control+k');
    const input = page.locator('[data-test=palette-input]');
    await input.waitFor();
    expect(await page.evaluate('document.activeElement?.dataset.test')).toBe('palette-input');
    await input.fill('audt'); // fuzzy: a typo still finds it
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/console\/audit/);
    expect(await page.locator('[data-test=palette]').count()).toBe(0);
    await page.keyboard.press('Control+k');
    await input.waitFor();
    await page.keyboard.press('Escape');
    await page.locator('[data-test=palette]').waitFor({ state: 'detached' });
  });

  it('saw no CSP violation and no uncaught error in the browser', () => {
    expect(admin.problems).toEqual([]);
  });
});
