// One command for the hot-plug platform (seed 004): `node examples/hot-plug/start.mjs [plugin...]`.
// Starts Portico all-in-one on embedded defaults (gateway :8080, admin + console :9080, or the
// PORTICO_* ports you set), creates the tenants acme and globex (both enable the plugins), a
// platform API key that reads config, each tenant's first config of `greeter`, and starts the
// plugins named (default: greeter). Type a plugin name + Enter to start one, `stop <name>` to
// stop it; Ctrl+C stops everything. Built on dist/: run `npm run build` first.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PASSWORD = process.env.PORTICO_ADMIN_PASSWORD ?? 'hot-plug-admin-password';
const PLUGINS = ['greeter', 'shouter'];

const portico = spawn(process.execPath, [join(ROOT, 'packages/portico/dist/cli/main.js'), 'start'], {
  env: {
    PORTICO_ADMIN_PASSWORD: PASSWORD,
    PORTICO_DATA_DIR: mkdtempSync(join(tmpdir(), 'portico-hot-plug-')),
    // info: the "portico started" line (read here, not shown) names the ports.
    PORTICO_LOG_LEVEL: 'info',
    ...process.env,
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const running = new Map();
const quit = () => {
  for (const child of running.values()) child.kill('SIGTERM');
  portico.kill('SIGTERM');
  process.exit(0);
};
// Before anything can fail: Portico never outlives this script.
process.on('SIGINT', quit);
process.on('SIGTERM', quit);
const started = await new Promise((resolve, reject) => {
  portico.once('exit', (code) => reject(new Error(`portico exited with ${code}`)));
  createInterface({ input: portico.stdout }).on('line', (line) => {
    if (line.includes('"msg":"portico started"')) resolve(JSON.parse(line));
  });
});
const { public: gateway, admin } = started;

const call = async (method, path, body, token) => {
  const response = await fetch(`${path.startsWith('/auth') ? gateway : admin}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const payload = await response.json();
  if (!payload.success) throw new Error(`${method} ${path}: ${JSON.stringify(payload.error)}`);
  return payload.data;
};
const { accessToken } = await call('POST', '/auth/login', {
  tenant: 'platform',
  username: 'admin',
  password: PASSWORD,
});
for (const tenant of ['acme', 'globex']) {
  await call('POST', '/v1/admin/tenants', { name: tenant, displayName: tenant, enabledServices: PLUGINS }, accessToken);
}
const { key } = await call(
  'POST',
  '/v1/admin/tenants/platform/api-keys',
  { name: 'plugins', scopes: ['config.read'] },
  accessToken,
);
await call('PUT', '/v1/config/acme/greeter', { values: { greeting: 'Hello' } }, accessToken);
await call('PUT', '/v1/config/globex/greeter', { values: { greeting: 'Bonjour', shout: true } }, accessToken);

function startPlugin(name) {
  if (running.has(name)) return;
  const child = spawn(process.execPath, [join(ROOT, 'examples/hot-plug/plugin.mjs')], {
    env: { ...process.env, PORTICO_REGISTRY_URL: admin, PLUGIN_NAME: name, CONFIG_KEY: key, TENANTS: 'acme,globex' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  createInterface({ input: child.stdout }).on('line', (line) => console.log(`[${name}] ${line}`));
  child.once('exit', () => running.delete(name));
  running.set(name, child);
}
for (const name of process.argv.slice(2).length ? process.argv.slice(2) : ['greeter']) startPlugin(name);

console.log(`gateway  ${gateway}   e.g. curl '${gateway}/api/greeter/hi?tenant=acme&name=Ada'`);
console.log(`console  ${admin}/console/   sign in as platform / admin / ${PASSWORD}`);
console.log(`config   ${admin}/console/tenants/acme/config`);
console.log('type a plugin name to start it, "stop <name>" to stop it, Ctrl+C to quit');

createInterface({ input: process.stdin }).on('line', (line) => {
  const [word, arg] = line.trim().split(/\s+/);
  if (word === 'stop' && arg) running.get(arg)?.kill('SIGTERM');
  else if (word) startPlugin(word);
});
