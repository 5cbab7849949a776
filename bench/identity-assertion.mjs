#!/usr/bin/env node
/**
 * What the identity assertion costs on the hot path: Portico (all-in-one, built dist) in front of
 * an SDK service, every request with a platform admin's Bearer token (jwt auth), measured with
 * wrk in alternating rounds:
 *   off  the identity-assertion policy removed from the chain, the service not verifying
 *        (`verifyCallers: false`): the gateway as it was before assertions;
 *   on   the policy signing (from its cache) and the service verifying (from its cache).
 * Not part of `npm test`. Bounded: rounds × seconds of load, 50 connections.
 *
 *   npm run build && node bench/identity-assertion.mjs [--rounds 2] [--seconds 10] [--connections 50]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
  },
});
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PASSWORD = 'bench-assertion-admin-password';
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Starts `node -e code` and resolves with the first line matching `pattern`. */
function start(code, env, pattern) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const lines = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} in:\n${lines.join('\n')}`)), 60_000);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        if (pattern.test(line)) {
          clearTimeout(timer);
          resolve({ child, line });
        }
      });
    }
    child.once('exit', () => reject(new Error(`exited:\n${lines.join('\n')}`)));
  });
}

// Portico with or without the assertion policy: the same built modules, the chain edited before start.
const PORTICO = `
  const { BUILT_IN_POLICIES } = await import('./packages/portico/dist/gateway/policies/index.js');
  if (process.env.ASSERTIONS === 'off') {
    BUILT_IN_POLICIES.splice(BUILT_IN_POLICIES.findIndex((p) => p.name === 'identityAssertion'), 1);
  }
  const { loadConfig } = await import('./packages/portico/dist/config/load.js');
  const { startPortico } = await import('./packages/portico/dist/platform.js');
  const portico = await startPortico(loadConfig());
  console.log('READY ' + JSON.stringify({ publicUrl: portico.publicUrl, adminUrl: portico.adminUrl }));
`;
const SERVICE = `
  const { serve } = await import('@portico/sdk');
  const body = JSON.stringify({ success: true, data: { hello: 'world' } });
  const service = await serve({
    service: 'bench', auth: 'jwt', verifyCallers: process.env.ASSERTIONS !== 'off', propagationMs: 0,
    logger: { info() {}, warn: console.error, error: console.error },
    handler: (req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(body); },
  });
  await service.registered;
  console.log('READY ' + service.url);
`;

function wrk(url, token) {
  const args = ['-t1', `-c${values.connections}`, `-d${values.seconds}s`, '-H', `Authorization: Bearer ${token}`, url];
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.once('error', reject);
    child.once('exit', () => {
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN);
      const latency = /Latency\s+(\S+)/.exec(out)?.[1];
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
      resolve({ rps, latency, non2xx });
    });
  });
}

async function round(mode) {
  const env = {
    ASSERTIONS: mode,
    PORTICO_HOST: '127.0.0.1',
    PORTICO_PUBLIC_PORT: '0',
    PORTICO_ADMIN_PORT: '0',
    PORTICO_DATA_DIR: mkdtempSync(join(tmpdir(), 'portico-bench-assertion-')),
    PORTICO_LOG_LEVEL: 'warn',
    PORTICO_ADMIN_PASSWORD: PASSWORD,
  };
  const portico = await start(PORTICO, env, /^READY /);
  const { publicUrl, adminUrl } = JSON.parse(portico.line.slice(6));
  const service = await start(SERVICE, { ASSERTIONS: mode, PORTICO_REGISTRY_URL: adminUrl }, /^READY /);
  try {
    const login = await fetch(`${publicUrl}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'platform', username: 'admin', password: PASSWORD }),
    }).then((r) => r.json());
    const token = login.data.accessToken;
    const url = `${publicUrl}/api/bench/x`;
    const check = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    if (check.status !== 200) throw new Error(`${mode}: the bench route answers ${check.status}`);
    await wrk(url, token); // warm-up, discarded
    return await wrk(url, token);
  } finally {
    for (const { child } of [service, portico]) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      children.delete(child);
    }
  }
}

const results = { off: [], on: [] };
for (let i = 0; i < Number(values.rounds); i++) {
  // Alternate which goes first, so a machine getting busier does not always hit the same side.
  for (const mode of i % 2 === 0 ? ['off', 'on'] : ['on', 'off']) {
    const result = await round(mode);
    results[mode].push(result.rps);
    console.log(
      `round ${i + 1} ${mode.padEnd(3)} ${result.rps.toFixed(0)} req/s  latency avg ${result.latency}  non-2xx ${result.non2xx}`,
    );
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const off = median(results.off);
const on = median(results.on);
console.log(
  `median off ${off.toFixed(0)} req/s, on ${on.toFixed(0)} req/s (${(((on - off) / off) * 100).toFixed(1)}%)`,
);
