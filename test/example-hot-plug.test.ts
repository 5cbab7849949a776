/**
 * Example 004, the hot-plug platform (examples/hot-plug), end to end as its users drive it:
 * a plugin process started against a running Portico appears on the console's services page
 * (live, no reload) and is routable through the gateway; its tenant's config, changed on the
 * console's config center page, changes its answers live while the other tenant's stay; stopped,
 * it vanishes from the page and the gateway answers its own error for it (503 `SERVICE_UNAVAILABLE`,
 * no instance; before the first start, 404 `NOT_FOUND`, not registered). Nothing restarts.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCreator, signIn } from './support/admin.js';
import { launchBrowser, signInConsole, type WatchedPage, watchedPage } from './support/browser.js';
import { type Json, request } from './support/http.js';
import { type PorticoProc, type Proc, ROOT, spawnNode, startPortico } from './support/processes.js';

const PASSWORD = 'hot-plug-test-admin-password';
const PLUGIN = join(ROOT, 'examples/hot-plug/plugin.mjs');

let portico: PorticoProc;
let browser: Browser;
let admin: WatchedPage;
let token: string;
let configKey: string;

function startPlugin(name: string): Proc {
  return spawnNode([PLUGIN], {
    PORTICO_REGISTRY_URL: portico.adminUrl,
    PLUGIN_NAME: name,
    CONFIG_KEY: configKey,
    TENANTS: 'acme,globex',
  });
}

const greet = (plugin: string, tenant: string): Promise<{ status: number; body: Json }> =>
  request(`${portico.publicUrl}/api/${plugin}/hi?name=Ada&tenant=${tenant}`);

describe('example 004: hot-plug platform', () => {
  beforeAll(async () => {
    portico = await startPortico({ PORTICO_ADMIN_PASSWORD: PASSWORD });
    token = await signIn(portico, 'platform', 'admin', PASSWORD);
    const create = adminCreator(portico, token);
    for (const tenant of ['acme', 'globex']) {
      await create('/tenants', { name: tenant, displayName: tenant, enabledServices: ['greeter'] });
    }
    configKey = (await create('/tenants/platform/api-keys', { name: 'plugins', scopes: ['config.read'] })).key;
    for (const [tenant, values] of [
      ['acme', { greeting: 'Hello' }],
      ['globex', { greeting: 'Bonjour', shout: true }],
    ] as const) {
      const put = await request(`${portico.adminUrl}/v1/config/${tenant}/greeter`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ values }),
      });
      expect(put.status, put.text).toBe(200);
    }
    browser = await launchBrowser();
    admin = await watchedPage(await browser.newContext({ viewport: { width: 1280, height: 800 } }));
    await signInConsole(admin.page, portico.adminUrl, 'platform', 'admin', PASSWORD);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await portico?.stop();
  });

  it('plugs a plugin in, reconfigures it live from the console, and unplugs it', async () => {
    const { page } = admin;
    // Before: no such service, and the gateway has no route for it.
    const before = await greet('greeter', 'acme');
    expect(before.status).toBe(404);
    expect(before.body.error.code).toBe('NOT_FOUND');
    expect(before.body.error.message).toBe('service greeter is not registered');
    await page.goto(`${portico.adminUrl}/console/services`);
    await page.locator('[data-test=instances]').waitFor();

    const plugin = startPlugin('greeter');
    try {
      const ready = await plugin.waitForLine(/^ready /, 60_000);
      const instanceId = ready.split(' ')[2] as string;
      // The services page (already open) shows it, pushed by the registry watch.
      await page.locator(`[data-test=instances] tr[data-id="${instanceId}"]`).waitFor({ timeout: 15_000 });
      expect(await page.locator(`tr[data-id="${instanceId}"] td`).first().textContent()).toBe('greeter');

      // Routable through the gateway, with each tenant's own config.
      await expect
        .poll(async () => JSON.stringify((await greet('greeter', 'acme')).body), { timeout: 15_000 })
        .toContain('Hello, Ada!');
      expect((await greet('greeter', 'acme')).body.data.message).toBe('Hello, Ada!');
      expect((await greet('greeter', 'globex')).body.data.message).toBe('BONJOUR, ADA!');

      // The tenant admin's change on the config center page reaches the running plugin.
      await page.goto(`${portico.adminUrl}/console/tenants/acme/config`);
      const row = page.locator('[data-test=config-entries] tr[data-name="greeter"]');
      await row.locator('[data-test=config-edit]').click();
      await page.locator('#config-edit-values').fill('{"greeting": "Hi", "shout": true}');
      await page.locator('[data-test=config-save]').click();
      await page.locator('[data-test=config-editor]').waitFor({ state: 'detached' });
      await expect
        .poll(async () => (await greet('greeter', 'acme')).body?.data?.message, { timeout: 15_000 })
        .toBe('HI, ADA!');
      expect((await greet('greeter', 'globex')).body.data.message).toBe('BONJOUR, ADA!');
      await plugin.waitForLine(/^config acme revision \d+ \{.*"greeting":"Hi".*\}$/);

      // Unplugged: gone from the page and from the gateway, nothing restarted.
      await page.goto(`${portico.adminUrl}/console/services`);
      await page.locator(`tr[data-id="${instanceId}"]`).waitFor();
      expect(await plugin.stop('SIGTERM')).toBe(0);
      await page.locator(`tr[data-id="${instanceId}"]`).waitFor({ state: 'detached', timeout: 15_000 });
      // A service the gateway has heard of keeps its route with no instance: the gateway's own
      // 503 (docs/gateway.md), not the plugin's answer; a name it never heard of is the 404 above.
      await expect.poll(async () => (await greet('greeter', 'acme')).status, { timeout: 15_000 }).toBe(503);
      const after = await greet('greeter', 'acme');
      expect(after.body.error).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        message: 'service greeter has no live instance',
      });
      // The platform kept running throughout.
      expect(portico.child.exitCode).toBeNull();
    } finally {
      await plugin.stop();
    }
    expect(admin.problems).toEqual([]);
  });
});
