// Portico with its whole policy chain on the bench route: JWT authentication, tenancy,
// authorization (a permission from a custom role) and a rate limit per consumer set high enough
// never to refuse, so every request runs every check and still reaches the upstream. The
// gateway also signs its identity assertion for the service (cached per token and service).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { BENCH_PATH } from './contenders.mjs';
import { startPortico, waitUntilRoutable } from './portico.mjs';
import { PROXY_CORE } from './processes.mjs';
import { UPSTREAM_BODY } from './upstream.mjs';

const ADMIN_PASSWORD = 'bench-full-chain-admin-password';
const TENANT = 'bench';

// The bench outlives the default 15-minute token; one token serves the whole run.
const CONFIG = `
identity:
  accessTokenTtlSeconds: 3600
  keyGraceSeconds: 3600
services:
  bench:
    policies:
      rateLimit: { limit: 1000000, windowSeconds: 1, by: consumer }
`;

async function call(url, { method = 'GET', token, body } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const { statusCode, body: reply } = await request(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await reply.text();
  if (statusCode >= 300) throw new Error(`${method} ${url} answered ${statusCode}: ${text.slice(0, 200)}`);
  return JSON.parse(text).data;
}

/** Starts Portico pinned to the proxy core, sets the tenant, role, user and service up, and returns its URL and headers. */
export async function startFullChainPortico({ workDir, upstream, nodeArgs }) {
  const configFile = join(workDir, 'full-chain.yaml');
  writeFileSync(configFile, CONFIG);
  const portico = await startPortico({
    workDir,
    core: PROXY_CORE,
    name: 'portico-full-chain',
    ...(nodeArgs ? { nodeArgs } : {}),
    extraEnv: { PORTICO_CONFIG: configFile, PORTICO_ADMIN_PASSWORD: ADMIN_PASSWORD },
  });
  const { adminUrl, publicUrl } = portico;
  const login = (tenant, username, password) =>
    call(`${publicUrl}/auth/login`, { method: 'POST', body: { tenant, username, password } });
  const admin = (await login('platform', 'admin', ADMIN_PASSWORD)).accessToken;
  const post = (path, body) => call(`${adminUrl}/v1/admin${path}`, { method: 'POST', token: admin, body });
  await post('/tenants', { name: TENANT, displayName: 'Bench', enabledServices: ['bench'] });
  await post(`/tenants/${TENANT}/roles`, { name: 'reader', permissions: ['bench.read'] });
  await post(`/tenants/${TENANT}/users`, { username: 'loader', password: 'bench-loader-password', roles: ['reader'] });
  const token = (await login(TENANT, 'loader', 'bench-loader-password')).accessToken;
  await call(`${adminUrl}/v1/registry/instances`, {
    method: 'POST',
    body: {
      id: 'bench-chain-1',
      service: 'bench',
      host: '127.0.0.1',
      port: upstream.port,
      ttlSeconds: 3600,
      auth: 'jwt',
      endpoints: [{ method: 'GET', path: '/hello', permissions: ['bench.read'] }],
    },
  });
  const headers = { authorization: `Bearer ${token}`, 'x-tenant-id': TENANT };
  const url = `${publicUrl}${BENCH_PATH}`;
  await waitUntilRoutable(url, UPSTREAM_BODY, 5_000, headers);
  return { handle: portico.handle, url, headers };
}
