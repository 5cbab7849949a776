// Register → routable and deregister → unrouted latency, through a real Portico process.
// For each of N changes: POST (or DELETE) on the admin port, then ask the gateway until it
// routes accordingly; the time from sending the change to the first answer that reflects it.
// `npm run bench` calls measurePropagation(); alone it starts its own Portico:
// Usage: node bench/registry-latency.mjs [changes=1000]   (build first: npm run build)
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { startPortico } from './lib/portico.mjs';
import { stopAll, stopEverythingOnExit } from './lib/processes.mjs';
import { percentile } from './lib/stats.mjs';

/** The longest one change may take to show before the run is declared broken. */
const CHANGE_DEADLINE_MS = 2_000;

/**
 * Measures `changes` registrations and as many deregistrations, one at a time, each of a new
 * service `${prefix}-{i}` whose instance points at `upstreamPort`.
 * @returns {{ registered: number[], removed: number[] }} milliseconds per change
 */
export async function measurePropagation({ adminUrl, publicUrl, upstreamPort, changes, prefix = 'prop' }) {
  const admin = new Pool(adminUrl, { connections: 1 });
  const gateway = new Pool(publicUrl, { connections: 1 });
  const status = async (path) => {
    const { statusCode, body } = await gateway.request({ method: 'GET', path });
    await body.dump();
    return statusCode;
  };
  const timeUntil = async (change, path, wanted) => {
    const t0 = process.hrtime.bigint();
    await change();
    const deadline = Date.now() + CHANGE_DEADLINE_MS;
    while ((await status(path)) !== wanted) {
      if (Date.now() > deadline) throw new Error(`${path} never answered ${wanted}`);
    }
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const registered = [];
  const removed = [];
  try {
    for (let i = 0; i < changes; i++) {
      const id = `${prefix}-${i}`;
      const path = `/api/${prefix}-${i}/x`;
      const register = async () => {
        const { statusCode, body } = await admin.request({
          method: 'POST',
          path: '/v1/registry/instances',
          headers: { 'content-type': 'application/json' },
          // Public: propagation is about routing, so the first answer after a change must be the upstream's.
          body: JSON.stringify({
            id,
            service: `${prefix}-${i}`,
            host: '127.0.0.1',
            port: upstreamPort,
            auth: 'public',
          }),
        });
        await body.dump();
        if (statusCode !== 201) throw new Error(`register answered ${statusCode}`);
      };
      const deregister = async () => {
        const { body } = await admin.request({ method: 'DELETE', path: `/v1/registry/instances/${id}` });
        await body.dump();
      };
      registered.push(await timeUntil(register, path, 200));
      removed.push(await timeUntil(deregister, path, 503));
    }
  } finally {
    await admin.close();
    await gateway.close();
  }
  return { registered, removed };
}

/** Markdown rows: change, n, p50, p99, max (ms). */
export function propagationRows(label, { registered, removed }) {
  const row = (name, values) =>
    `| ${name}${label} | ${values.length} | ${percentile(values, 50).toFixed(2)} | ${percentile(values, 99).toFixed(2)} | ${Math.max(...values).toFixed(2)} |`;
  return [row('register → routable', registered), row('deregister → not routed', removed)];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const changes = Number(process.argv[2] ?? 1000);
  const workDir = fileURLToPath(new URL('./.work', import.meta.url));
  mkdirSync(workDir, { recursive: true });
  stopEverythingOnExit();
  const upstream = createServer((_req, res) => res.end('ok'));
  await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  try {
    const portico = await startPortico({ workDir });
    const result = await measurePropagation({ ...portico, upstreamPort: upstream.address().port, changes });
    console.log('| change | n | p50 ms | p99 ms | max ms |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const line of propagationRows('', result)) console.log(line);
  } finally {
    await stopAll();
    upstream.close();
  }
}
