/**
 * One headless chromium (Debian's, installed by scripts/ci-deps.sh) per test file, driven by
 * playwright-core, with every CSP violation and uncaught error of its pages collected so a test
 * can fail on them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ROOT } from './processes.js';

/** Where chromium lives; CHROMIUM_PATH overrides for machines that put it elsewhere. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A page and what went wrong in it: console errors, uncaught exceptions, CSP violations. */
export interface WatchedPage {
  page: Page;
  problems: string[];
}

/**
 * Starts the browser.
 *
 * @example
 * ```ts
 * const browser = await launchBrowser();
 * const { page, problems } = await watchedPage(await browser.newContext());
 * ```
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

/** A new page of `context` whose console errors and page errors land in `problems`. */
export async function watchedPage(context: BrowserContext): Promise<WatchedPage> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    // An HTTP error answer the page handles (401 before sign-in, a 403 a test provokes) is logged
    // by chromium as "Failed to load resource"; it is not an uncaught error. A CSP block is
    // logged as "Refused to ..." and still counts.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource: the server responded')) {
      problems.push(`console: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  // A CSP violation is logged as a console error too; the event catches those that are not.
  await page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (e) =>
      console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));`,
  });
  return { page, problems };
}

/**
 * Signs in through the console's sign-in page and waits for the overview, as a user would.
 *
 * @example
 * ```ts
 * await signInConsole(page, portico.adminUrl, 'platform', 'admin', PASSWORD);
 * ```
 */
export async function signInConsole(
  page: Page,
  adminUrl: string,
  tenant: string,
  username: string,
  password: string,
): Promise<void> {
  await page.goto(`${adminUrl}/console/sign-in`);
  await page.locator('#tenant').fill(tenant);
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(password);
  await page.locator('[data-test=sign-in]').click();
  await page.waitForURL(/\/console\/overview/);
}

/** axe-core's source, injected as content (never fetched) for the accessibility pass. */
export const AXE_SOURCE = readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');

/** The serious and critical axe violations of the page as it stands, as readable lines. */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: AXE_SOURCE });
  const results = (await page.evaluate(() =>
    (globalThis as unknown as { axe: { run: () => Promise<unknown> } }).axe.run(),
  )) as { violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] };
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes[0]?.target}`);
}
