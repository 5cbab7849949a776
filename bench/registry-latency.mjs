// Register → routable and deregister → unrouted latency, through a real Portico process.
// For each of N changes: POST (or DELETE) on the admin port, then ask the gateway until it
// routes accordingly; the time from sending the change to the first answer that reflects it.
// Usage: node bench/registry-latency.mjs [changes=200]   (build first: npx tsc -b)
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

const changes = Number(process.argv[2] ?? 200);
const root = fileURLToPath(new URL('..', import.meta.url));

const upstream = createServer((_req, res) => res.end('ok'));
await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
const upstreamPort = upstream.address().port;

const portico = spawn(process.execPath, [join(root, 'packages/portico/dist/cli/main.js'), 'start'], {
  env: {
    ...process.env,
    PORTICO_HOST: '127.0.0.1',
    PORTICO_PUBLIC_PORT: '0',
    PORTICO_ADMIN_PORT: '0',
    PORTICO_DATA_DIR: mkdtempSync(join(tmpdir(), 'portico-bench-')),
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const started = await new Promise((resolve, reject) => {
  portico.once('exit', (code) => reject(new Error(`portico exited with ${code}`)));
  createInterface({ input: portico.stdout }).on('line', (line) => {
    if (line.includes('"msg":"portico started"')) resolve(JSON.parse(line));
  });
});
const admin = new Pool(started.admin, { connections: 1 });
const gateway = new Pool(started.public, { connections: 1 });

async function status(path) {
  const { statusCode, body } = await gateway.request({ method: 'GET', path });
  await body.dump();
  return statusCode;
}

async function timeUntil(change, path, wanted) {
  const t0 = process.hrtime.bigint();
  await change();
  const deadline = Date.now() + 2_000;
  while ((await status(path)) !== wanted) {
    if (Date.now() > deadline) throw new Error(`${path} never answered ${wanted}`);
  }
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const registered = [];
const removed = [];
for (let i = 0; i < changes; i++) {
  const id = `bench-${i}`;
  const service = `svc-${i % 50}`;
  registered.push(
    await timeUntil(
      async () => {
        const { statusCode, body } = await admin.request({
          method: 'POST',
          path: '/v1/registry/instances',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ id, service: `${service}-${i}`, host: '127.0.0.1', port: upstreamPort }),
        });
        await body.dump();
        if (statusCode !== 201) throw new Error(`register answered ${statusCode}`);
      },
      `/api/${service}-${i}/x`,
      200,
    ),
  );
  removed.push(
    await timeUntil(
      async () => {
        const { body } = await admin.request({ method: 'DELETE', path: `/v1/registry/instances/${id}` });
        await body.dump();
      },
      `/api/${service}-${i}/x`,
      503,
    ),
  );
}

const pct = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const row = (name, values) =>
  `| ${name} | ${values.length} | ${pct(values, 50).toFixed(2)} | ${pct(values, 99).toFixed(2)} | ${Math.max(...values).toFixed(2)} |`;
console.log('| change | n | p50 ms | p99 ms | max ms |');
console.log('| --- | --- | --- | --- | --- |');
console.log(row('register → routable', registered));
console.log(row('deregister → not routed', removed));

await admin.close();
await gateway.close();
portico.kill('SIGTERM');
await new Promise((resolve) => portico.once('exit', resolve));
upstream.close();
