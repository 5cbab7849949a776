// Portico as a user runs it: the built CLI (`portico start`) in its own process, configured by
// PORTICO_* variables, with upstreams registered through the admin API.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { freePort, sleep, startProcess } from './processes.mjs';
import { probe } from './verify.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const PORTICO_CLI = join(ROOT, 'packages/portico/dist/cli/main.js');

/**
 * Starts Portico and waits until its admin port answers /readyz.
 * The log level is `warn` so that no contender writes an access log (nginx has
 * `access_log off`, the Node peers log nothing by default).
 */
export async function startPortico({
  workDir,
  core,
  nodeArgs = [],
  name = 'portico',
  role = 'all',
  extraEnv = {},
  cli = PORTICO_CLI,
}) {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
  const publicPort = await freePort();
  let adminPort = await freePort();
  while (adminPort === publicPort) adminPort = await freePort();
  const env = {
    ...process.env,
    PORTICO_HOST: '127.0.0.1',
    PORTICO_ADMIN_HOST: '127.0.0.1',
    PORTICO_PUBLIC_PORT: String(publicPort),
    PORTICO_ADMIN_PORT: String(adminPort),
    PORTICO_DATA_DIR: mkdtempSync(join(workDir, 'portico-data-')),
    PORTICO_LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  const args = [...nodeArgs, cli, 'start', role];
  const handle = startProcess(name, process.execPath, args, { core, env, cwd: workDir });
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const publicUrl = `http://127.0.0.1:${publicPort}`;
  // Generous: the all-in-one opens its embedded store first, slow on a busy machine.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (handle.child.exitCode !== null) throw new Error(`portico exited: ${handle.tail.join('\n')}`);
    if (await answers(`${adminUrl}/readyz`)) break;
    if (Date.now() > deadline) throw new Error(`portico not ready in 30 s: ${handle.tail.join('\n')}`);
    await sleep(50);
  }
  return { handle, adminUrl, publicUrl };
}

/** Registers one instance; the lease outlives the whole bench run, so no heartbeat is needed. */
export async function registerInstance(adminUrl, { id, service, port, dispatcher }) {
  const { statusCode, body } = await request(`${adminUrl}/v1/registry/instances`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // Public: the peers run no authentication either, so the comparison stays like for like.
    body: JSON.stringify({ id, service, host: '127.0.0.1', port, ttlSeconds: 3600, auth: 'public' }),
    dispatcher,
  });
  const text = await body.text();
  if (statusCode !== 201 && statusCode !== 200) throw new Error(`register ${id} answered ${statusCode}: ${text}`);
}

/**
 * Waits until the gateway routes `url` to the upstream: registration reaches the gateway through
 * the registry's watch, which is in-process today but need not stay so.
 */
export async function waitUntilRoutable(url, expectedBody, timeoutMs = 5_000, headers = {}) {
  const deadline = Date.now() + timeoutMs;
  let problem = '';
  while (Date.now() < deadline) {
    problem = await probe(url, expectedBody, 1, headers);
    if (!problem) return;
    await sleep(20);
  }
  throw new Error(`${url} not routed after ${timeoutMs} ms: ${problem}`);
}

/** Whether the built CLI has `portico start gateway` (a gateway watching a remote registry). */
export function supportsGatewayRole() {
  const result = spawnSync(process.execPath, [PORTICO_CLI, 'help'], { encoding: 'utf8', timeout: 10_000 });
  return /start gateway/.test(result.stdout ?? '');
}

async function answers(url) {
  try {
    const { statusCode, body } = await request(url, { headersTimeout: 1_000, bodyTimeout: 1_000 });
    await body.dump();
    return statusCode === 200;
  } catch {
    return false;
  }
}
