/**
 * The console in a real browser (Debian's chromium through playwright-core) against a real
 * Portico with the console built: sign-in, live services, tenants, the session's security, and
 * a screenshot and an axe pass of every page. Fails on any CSP violation or uncaught error.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn } from './support/admin.js';
import { axeViolations, launchBrowser, signInConsole, type WatchedPage, watchedPage } from './support/browser.js';
import { postJson, registerInstance } from './support/http.js';
import { type PorticoProc, ROOT, startPortico } from './support/processes.js';

const PASSWORD = 'console-test-admin-password';
const SHOTS = join(ROOT, 'docs/console');
/** Every page by its screenshot name and its path under /console/. */
const PAGES = {
  'sign-in': '/sign-in',
  overview: '/overview',
  services: '/services',
  routes: '/routes',
  tenants: '/tenants',
  users: '/tenants/platform/users',
  roles: '/tenants/platform/roles',
  credentials: '/tenants/platform/credentials',
  audit: '/audit',
  keys: '/keys',
} as const;
const SIGNED_IN = Object.entries(PAGES).filter(([name]) => name !== 'sign-in');

let portico: PorticoProc;
let browser: Browser;
let context: BrowserContext;
let admin: WatchedPage;
let token: string;

describe('console', () => {
  beforeAll(async () => {
    portico = await startPortico({ PORTICO_ADMIN_PASSWORD: PASSWORD });
    token = await signIn(portico, 'platform', 'admin', PASSWORD);
    browser = await launchBrowser();
    context = await browser.newContext();
    admin = await watchedPage(context);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await portico?.stop();
  });

  it('serves the page and its assets with a strict CSP and the right cache headers', async () => {
    const page = await fetch(`${portico.adminUrl}/console/`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const html = await page.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    const asset = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const script = await fetch(`${portico.adminUrl}${asset}`);
    expect(script.status).toBe(200);
    expect(script.headers.get('cache-control')).toContain('immutable');
    expect(script.headers.get('content-type')).toContain('text/javascript');
    // A deep link is the page (history mode); a path out of the folder is not a file.
    expect((await fetch(`${portico.adminUrl}/console/services`)).headers.get('content-type')).toContain('text/html');
    const outside = await fetch(`${portico.adminUrl}/console/..%2f..%2fpackage.json`);
    expect(await outside.text()).not.toContain('"workspaces"');
  });

  it('is absent from a gateway-only process (the lean admin server)', async () => {
    const gateway = await startPortico({ PORTICO_REGISTRY_URL: portico.adminUrl }, 'gateway');
    try {
      for (const path of ['/console/', '/console/session']) {
        expect((await fetch(`${gateway.adminUrl}${path}`)).status, path).toBe(404);
      }
    } finally {
      await gateway.stop();
    }
  });

  it('signs in with an HttpOnly SameSite=Strict cookie and keeps nothing in localStorage', async () => {
    const { page } = admin;
    await page.goto(`${portico.adminUrl}/console/overview`);
    await page.waitForURL(/sign-in/); // no session yet
    await page.locator('#tenant').fill('platform');
    await page.locator('#username').fill('admin');
    await page.locator('#password').fill('wrong-password');
    await page.locator('[data-test=sign-in]').click();
    await expect.poll(() => page.locator('[data-test=sign-in-error]').textContent()).toContain('invalid');
    await page.locator('#password').fill(PASSWORD);
    await page.locator('[data-test=sign-in]').click();
    await page.waitForURL(/\/console\/overview/);
    const cookie = (await context.cookies()).find((c) => c.name === 'portico_console');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/', secure: false });
    expect(await page.evaluate('JSON.stringify({ ...localStorage })')).toBe('{}');
    expect(await page.evaluate('document.cookie')).toBe('');
    expect(await page.locator('[data-test=who]').textContent()).toContain('platform / ');
  });

  it('refuses a cookie write without the CSRF header or from another origin', async () => {
    const { page } = admin;
    const status = await page.evaluate(async () => {
      const response = await fetch('/v1/admin/tenants', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'nocsrf', displayName: 'No CSRF' }),
      });
      return response.status;
    });
    expect(status).toBe(403);
    const cookie = (await context.cookies()).find((c) => c.name === 'portico_console')!;
    const foreign = await postJson(
      `${portico.adminUrl}/v1/admin/tenants`,
      { name: 'foreign', displayName: 'Foreign' },
      {
        headers: {
          cookie: `portico_console=${cookie.value}`,
          origin: 'http://evil.example',
          'content-type': 'application/json',
        },
      },
    );
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.details.reason).toBe('origin');
  });

  it('shows an instance on the services page within 1 s of registering, and drops it on deregister', async () => {
    const { page } = admin;
    await page.locator('a[href="/console/services"]').click();
    await page.waitForURL(/services/);
    const instance = await registerInstance(portico.adminUrl, {
      id: 'live-1',
      service: 'orders',
      host: '127.0.0.1',
      port: 4001,
    });
    const row = page.locator('tr[data-id="live-1"]');
    await row.waitFor({ timeout: 1000 });
    expect(await row.textContent()).toContain('orders');
    await fetch(`${portico.adminUrl}/v1/registry/instances/${instance.id}`, { method: 'DELETE' });
    await row.waitFor({ state: 'detached', timeout: 1000 });
  });

  it('creates a tenant, shows a field error on a bad name, and shows an XSS payload as text', async () => {
    const { page } = admin;
    await page.locator('a[href="/console/tenants"]').click();
    await page.locator('#tenant-name').fill('Bad Name!');
    await page.locator('#tenant-display').fill('Bad');
    await page.locator('[data-test=tenant-create]').click();
    await expect.poll(() => page.locator('.el-form-item__error').count()).toBeGreaterThan(0);
    const payload = '<img src=x onerror="window.__xss=1">';
    await page.locator('#tenant-name').fill('acme');
    await page.locator('#tenant-display').fill(payload);
    await page.locator('[data-test=tenant-create]').click();
    const row = page.locator('tr[data-name="acme"]');
    await row.waitFor();
    expect(await row.locator('td').nth(1).textContent()).toBe(payload);
    expect(await row.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();
  });

  it('shows a tenant_admin only their tenant, and the API refuses the others', async () => {
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    for (const name of ['globex', 'initech']) {
      const reply = await postJson(`${portico.adminUrl}/v1/admin/tenants`, { name, displayName: name }, { headers });
      expect(reply.status).toBe(201);
    }
    const user = await postJson(
      `${portico.adminUrl}/v1/admin/tenants/globex/users`,
      { username: 'gina', password: 'gina-password-123', roles: ['tenant_admin'] },
      { headers },
    );
    expect(user.status, user.text).toBe(201);
    const other = await browser.newContext();
    const { page, problems } = await watchedPage(other);
    await signInConsole(page, portico.adminUrl, 'globex', 'gina', 'gina-password-123');
    await page.goto(`${portico.adminUrl}/console/tenants`);
    await page.locator('tr[data-name="globex"]').waitFor();
    expect(await page.locator('tbody tr').count()).toBe(1);
    expect(await page.locator('[data-test=tenant-form]').count()).toBe(0);
    const status = await page.evaluate(async () => (await fetch('/v1/admin/tenants/initech')).status);
    expect(status).toBe(403);
    // Sign-out revokes: the old cookie no longer opens a session.
    const cookie = (await other.cookies()).find((c) => c.name === 'portico_console')!;
    await page.locator('[data-test=sign-out]').click();
    await page.waitForURL(/sign-in/);
    const after = await fetch(`${portico.adminUrl}/console/session`, {
      headers: { cookie: `portico_console=${cookie.value}` },
    });
    expect(after.status).toBe(401);
    expect(problems).toEqual([]);
    await other.close();
  });

  it('lists and filters 1,000 instances', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => i);
    for (let start = 0; start < ids.length; start += 50) {
      await Promise.all(
        ids.slice(start, start + 50).map((i) =>
          registerInstance(portico.adminUrl, {
            id: `bulk-${i}`,
            service: `svc${i % 20}`,
            host: '127.0.0.1',
            port: 5000 + i,
          }),
        ),
      );
    }
    const { page } = admin;
    await page.locator('a[href="/console/services"]').click();
    const total = page.locator('[data-test=instance-total]');
    await expect.poll(() => total.textContent(), { timeout: 5000 }).toContain('1000');
    expect(await page.locator('tbody tr').count()).toBe(50); // one page
    await page.locator('h1').click();
    await page.keyboard.press('/');
    await expect
      .poll(() => page.evaluate('document.activeElement?.outerHTML.slice(0, 200)'))
      .toContain('Filter instances');
    await page.keyboard.type('bulk-999');
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    expect(await page.locator('tr[data-id="bulk-999"]').count()).toBe(1);
  });

  it('screenshots every page in light and dark, English and Chinese', async () => {
    mkdirSync(SHOTS, { recursive: true });
    // Something on every page: a declared route, a custom role, an API key and a client.
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const route = await fetch(`${portico.adminUrl}/v1/gateway/routes/shop`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ paths: ['/shop', '/shop/*'], service: 'svc1', stripPrefix: '/shop', auth: 'jwt' }),
    });
    expect(route.status).toBe(201);
    const setup: [string, unknown][] = [
      ['/tenants/platform/roles', { name: 'auditor', description: 'Reads the audit log', permissions: ['audit.read'] }],
      [
        '/tenants/platform/api-keys',
        { name: 'ci', scopes: ['orders.read'], expiresAt: new Date(Date.now() + 7 * 86_400_000).toISOString() },
      ],
      ['/tenants/platform/clients', { name: 'billing', scopes: ['orders.read'] }],
    ];
    for (const [path, body] of setup) {
      const reply = await postJson(`${portico.adminUrl}/v1/admin${path}`, body, { headers });
      expect(reply.status, reply.text).toBe(201);
    }
    const { page } = admin;
    await page.setViewportSize({ width: 1280, height: 800 });
    for (const lang of ['en', 'zh']) {
      for (const theme of ['light', 'dark']) {
        for (const [name, path] of SIGNED_IN) {
          await page.goto(`${portico.adminUrl}/console${path}?lang=${lang}&theme=${theme}`);
          await page.locator('h1').waitFor();
          if (name !== 'overview') await page.locator('table.list tbody tr').first().waitFor();
          await page.screenshot({ path: join(SHOTS, `${name}-${theme}-${lang}.png`) });
        }
        const fresh = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        const signInPage = await fresh.newPage();
        await signInPage.goto(`${portico.adminUrl}/console/sign-in?lang=${lang}&theme=${theme}`);
        await signInPage.locator('h1').waitFor();
        await signInPage.screenshot({ path: join(SHOTS, `sign-in-${theme}-${lang}.png`) });
        await fresh.close();
      }
    }
  });

  it('has no serious or critical axe violation on any page (axe injected in a bypassCSP context)', async () => {
    // The served CSP is not loosened: only this context ignores it, to inject axe's source.
    const axeContext = await browser.newContext({ bypassCSP: true });
    const page = await axeContext.newPage();
    const found: string[] = [];
    for (const theme of ['light', 'dark']) {
      await page.goto(`${portico.adminUrl}/console/sign-in?theme=${theme}`);
      await page.locator('h1').waitFor();
      found.push(...(await axeViolations(page)).map((line) => `sign-in/${theme}: ${line}`));
    }
    await signInConsole(page, portico.adminUrl, 'platform', 'admin', PASSWORD);
    for (const theme of ['light', 'dark']) {
      for (const [name, path] of SIGNED_IN) {
        await page.goto(`${portico.adminUrl}/console${path}?theme=${theme}`);
        await page.locator('h1').waitFor();
        if (name !== 'overview') await page.locator('table.list tbody tr').first().waitFor();
        found.push(...(await axeViolations(page)).map((line) => `${name}/${theme}: ${line}`));
      }
    }
    await axeContext.close();
    expect(found.join('\n')).toBe('');
  });

  it('saw no CSP violation and no uncaught error in the browser', () => {
    expect(admin.problems).toEqual([]);
  });
});
