// Memory of the data plane alone: a `portico start gateway` process watching an all-in-one
// Portico's registry, with 1 service routed and then with N more (one instance each), measured
// the way bench/lib/scale.mjs does: RSS from /proc 1 s after the last route answers, and again
// once the process has sat idle for --settle seconds (default 40; see followRss for why).
//
// Usage (after `npm run build`):
//   node bench/gateway-rss.mjs                 # 10,000 services
//   node bench/gateway-rss.mjs 2000            # another count
//   node bench/gateway-rss.mjs --settle 10     # read the settled RSS after 10 s instead of 40
//   node bench/gateway-rss.mjs --breakdown     # also V8 heap spaces, external memory, smaps_rollup
//   node bench/gateway-rss.mjs --modules       # also every script the gateway process compiled
//   node bench/gateway-rss.mjs --snapshot DIR  # also a heap snapshot of the gateway in DIR, each time
//   node bench/gateway-rss.mjs --cli <other checkout>/packages/portico/dist/cli/main.js   # another build's gateway
// --breakdown and --modules preload bench/lib/memory-probe.mjs into the gateway process; the
// plain run does not, so its RSS is the one to compare with RESULTS.md.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Pool } from 'undici';
import { registerInstance, startPortico, waitUntilRoutable } from './lib/portico.mjs';
import { followRss, startProcess, stopAll, stopEverythingOnExit, waitForLine } from './lib/processes.mjs';
import { listeningPort, UPSTREAM_BODY } from './lib/upstream.mjs';

const args = process.argv.slice(2);
const services = Number(args.find((arg, i) => /^\d+$/.test(arg) && args[i - 1] !== '--settle') ?? 10_000);
const modules = args.includes('--modules');
const snapshotDir = args.includes('--snapshot') ? args[args.indexOf('--snapshot') + 1] : undefined;
const settleMs = args.includes('--settle') ? Number(args[args.indexOf('--settle') + 1]) * 1000 : 40_000;
const cli = args.includes('--cli') ? resolve(args[args.indexOf('--cli') + 1]) : undefined;
const breakdown = modules || snapshotDir !== undefined || args.includes('--breakdown');
const PROBE = new URL('./lib/memory-probe.mjs', import.meta.url).pathname;
const NODE_UPSTREAM = new URL('./servers/node-upstream.mjs', import.meta.url).pathname;
const CONCURRENT_REGISTRATIONS = 16;

stopEverythingOnExit();
const workDir = mkdtempSync(join(tmpdir(), 'portico-gateway-rss-'));
try {
  const upstream = startProcess('node upstream', process.execPath, [NODE_UPSTREAM, UPSTREAM_BODY]);
  const upstreamPort = await waitForLine(upstream, listeningPort, 10_000);
  const portico = await startPortico({ workDir, name: 'portico (registry)' });
  await registerInstance(portico.adminUrl, { id: 'bench-1', service: 'bench', port: upstreamPort });
  const gateway = await startPortico({
    workDir,
    name: 'portico gateway',
    role: 'gateway',
    ...(cli ? { cli } : {}),
    nodeArgs: breakdown ? ['--expose-gc', '--import', PROBE] : [],
    extraEnv: {
      PORTICO_REGISTRY_URL: portico.adminUrl,
      ...(modules ? { PROBE_MODULES: '1' } : {}),
      ...(snapshotDir ? { PROBE_SNAPSHOT_DIR: resolve(snapshotDir) } : {}),
    },
  });
  await report(gateway, '1 service', 'bench');

  const admin = new Pool(portico.adminUrl, { connections: CONCURRENT_REGISTRATIONS });
  let next = 0;
  const registerNext = async () => {
    while (next < services) {
      const name = `scale-${String(next++).padStart(5, '0')}`;
      await registerInstance(portico.adminUrl, { id: name, service: name, port: upstreamPort, dispatcher: admin });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENT_REGISTRATIONS }, registerNext));
  await admin.close();
  // The last one registered: once it routes, the gateway's table holds all of them.
  await report(gateway, `${services + 1} services`, `scale-${String(services - 1).padStart(5, '0')}`);
} finally {
  await stopAll();
  rmSync(workDir, { recursive: true, force: true });
}

/** Waits until `service` routes through the gateway, lets it settle, prints its memory. */
async function report(gateway, label, service) {
  await waitUntilRoutable(`${gateway.publicUrl}/api/${service}/hello`, UPSTREAM_BODY, 60_000);
  const { firstMiB, settledMiB, afterSeconds } = await followRss(gateway.handle.pid).settled(settleMs);
  console.log(
    `gateway-only, ${label}: rss ${firstMiB.toFixed(1)} MiB 1 s in, ${settledMiB.toFixed(1)} MiB after ${afterSeconds.toFixed(0)} s idle`,
  );
  if (!breakdown) return;
  const line = waitForLine(gateway.handle, (text) => (text.startsWith('memory-probe ') ? text : undefined), 10_000);
  gateway.handle.child.kill('SIGUSR2');
  const probe = JSON.parse((await line).slice('memory-probe '.length));
  const { scripts, ...memory } = probe;
  console.log(JSON.stringify(memory, null, 2));
  if (scripts) console.log(scripts.join('\n'));
}
