/**
 * The console's config center page in a real browser (Debian's chromium through playwright-core)
 * against a real Portico: create an entry, edit it, lose a race to a write made through the API
 * meanwhile (the 412 is shown, the entry is not overwritten), reload and save; a tenant_admin of
 * another tenant is kept out; screenshots in English and Chinese, light and dark, and an axe pass.
 * Fails on any CSP violation or uncaught error.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCreator, signIn } from './support/admin.js';
import { axeViolations, launchBrowser, signInConsole, type WatchedPage, watchedPage } from './support/browser.js';
import { request } from './support/http.js';
import { type PorticoProc, ROOT, startPortico } from './support/processes.js';

const PASSWORD = 'console-config-admin-password';
const SHOTS = join(ROOT, 'docs/console');

let portico: PorticoProc;
let browser: Browser;
let admin: WatchedPage;
let token: string;

const entry = (tenant: string, service: string) =>
  request(`${portico.adminUrl}/v1/config/${tenant}/${service}`, { headers: { authorization: `Bearer ${token}` } });

describe('console config center page', () => {
  beforeAll(async () => {
    portico = await startPortico({ PORTICO_ADMIN_PASSWORD: PASSWORD });
    token = await signIn(portico, 'platform', 'admin', PASSWORD);
    const create = adminCreator(portico, token);
    await create('/tenants', { name: 'acme', displayName: 'Acme', enabledServices: ['orders'] });
    await create('/tenants', { name: 'globex', displayName: 'Globex' });
    await create('/tenants/globex/users', { username: 'gina', password: 'gina-password-123', roles: ['tenant_admin'] });
    browser = await launchBrowser();
    admin = await watchedPage(await browser.newContext({ viewport: { width: 1280, height: 800 } }));
    await signInConsole(admin.page, portico.adminUrl, 'platform', 'admin', PASSWORD);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await portico?.stop();
  });

  it('creates and edits an entry, and shows a lost race (412) instead of overwriting', async () => {
    const { page } = admin;
    await page.goto(`${portico.adminUrl}/console/tenants/acme/config`);
    await page.locator('h1').waitFor();
    await page.locator('#config-service').fill('orders');
    await page.locator('#config-values').fill('{"theme": "dark"}');
    await page.locator('[data-test=config-create]').click();
    const row = page.locator('[data-test=config-entries] tr[data-name="orders"]');
    await row.waitFor();
    const created = await entry('acme', 'orders');
    expect(created.body.data.values).toEqual({ theme: 'dark' });
    expect(await row.locator('[data-test=revision]').textContent()).toBe(String(created.body.data.revision));

    // Not a JSON object: refused in the page, nothing sent.
    await row.locator('[data-test=config-edit]').click();
    const editor = page.locator('#config-edit-values');
    await editor.fill('[1, 2]');
    await page.locator('[data-test=config-save]').click();
    await page.locator('[data-test=config-editor] .el-form-item__error').waitFor();

    // Someone else writes while the page holds the old revision: the save must lose.
    const other = await request(`${portico.adminUrl}/v1/config/acme/orders`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ values: { seats: 9 } }),
    });
    expect(other.status).toBe(200);
    await editor.fill('{"theme": "light"}');
    await page.locator('[data-test=config-save]').click();
    const conflict = page.locator('[data-test=config-conflict]');
    await conflict.waitFor();
    expect(await conflict.textContent()).toContain(String(other.body.data.revision));
    expect((await entry('acme', 'orders')).body.data.values).toEqual({ theme: 'dark', seats: 9 });

    // Reload takes the entry as it is now; saving from there wins.
    await page.locator('[data-test=config-reload]').click();
    await expect.poll(() => editor.inputValue()).toContain('"seats": 9');
    await editor.fill('{"theme": "light", "seats": 9}');
    await page.locator('[data-test=config-save]').click();
    await page.locator('[data-test=config-editor]').waitFor({ state: 'detached' });
    const saved = await entry('acme', 'orders');
    expect(saved.body.data.values).toEqual({ theme: 'light', seats: 9 });
    await expect
      .poll(async () => JSON.parse((await row.locator('[data-test=values]').textContent()) ?? 'null'))
      .toEqual({ theme: 'light', seats: 9 });
  });

  it("keeps another tenant's admin out, in the UI and in the API", async () => {
    const context = await browser.newContext();
    const gina = await watchedPage(context);
    try {
      await signInConsole(gina.page, portico.adminUrl, 'globex', 'gina', 'gina-password-123');
      await gina.page.goto(`${portico.adminUrl}/console/tenants/acme/config`);
      await gina.page.waitForURL(/\/console\/forbidden/);
      await gina.page.goto(`${portico.adminUrl}/console/tenants/globex/config`);
      await gina.page.locator('[data-test=config-entries]').waitFor();
      const status = await gina.page.evaluate(async () => (await fetch('/v1/config/acme/orders')).status);
      expect(status).toBe(403);
      expect(gina.problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('screenshots the page in light and dark, English and Chinese, with no serious axe violation', async () => {
    mkdirSync(SHOTS, { recursive: true });
    const { page } = admin;
    for (const lang of ['en', 'zh']) {
      for (const theme of ['light', 'dark']) {
        await page.goto(`${portico.adminUrl}/console/tenants/acme/config?lang=${lang}&theme=${theme}`);
        await page.locator('[data-test=config-entries] tr[data-name="orders"]').waitFor();
        await page.screenshot({ path: join(SHOTS, `config-${theme}-${lang}.png`) });
      }
    }
    // The served CSP is not loosened: only this context ignores it, to inject axe's source.
    const axeContext = await browser.newContext({ bypassCSP: true });
    try {
      const axePage = await axeContext.newPage();
      await signInConsole(axePage, portico.adminUrl, 'platform', 'admin', PASSWORD);
      const found: string[] = [];
      for (const theme of ['light', 'dark']) {
        await axePage.goto(`${portico.adminUrl}/console/tenants/acme/config?theme=${theme}`);
        await axePage.locator('[data-test=config-entries] tr[data-name="orders"]').waitFor();
        await axePage.locator('[data-test=config-edit]').click();
        // Off the button: its hover colours are Element Plus's, the same on every page.
        await axePage.mouse.move(0, 0);
        await axePage.locator('#config-edit-values').focus();
        found.push(...(await axeViolations(axePage)).map((line) => `${theme}: ${line}`));
      }
      expect(found).toEqual([]);
    } finally {
      await axeContext.close();
    }
  });

  it('saw no CSP violation and no uncaught error in the browser', () => {
    expect(admin.problems).toEqual([]);
  });
});
