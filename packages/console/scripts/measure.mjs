// Measures the console's first load against a running Portico: gzipped bytes of every file the
// sign-in page fetches, and the time until the form can be used (median of 5 cold loads).
// Usage: node packages/console/scripts/measure.mjs http://127.0.0.1:9080
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const admin = process.argv[2] ?? 'http://127.0.0.1:9080';
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' });
const times = [];
let gzipped = 0;
for (let run = 0; run < 5; run++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const bodies = [];
  page.on('response', (response) => bodies.push(response.body().catch(() => Buffer.alloc(0))));
  const started = performance.now();
  await page.goto(`${admin}/console/sign-in`);
  await page.locator('[data-test=sign-in]').waitFor({ state: 'visible' });
  times.push(performance.now() - started);
  gzipped = (await Promise.all(bodies)).reduce((sum, body) => sum + gzipSync(body).length, 0);
  await context.close();
}
await browser.close();
times.sort((a, b) => a - b);
console.log(
  `first load: ${(gzipped / 1024).toFixed(1)} KiB gzipped; interactive: ${times[2].toFixed(0)} ms median of 5`,
);
