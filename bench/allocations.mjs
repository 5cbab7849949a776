// What the bare proxy allocates per request, and what collecting it costs: Portico pinned on
// core 1 as in the bench, wrk and the nginx upstream on core 0. Two runs:
//   1. under V8's sampling heap profiler (bench/lib/allocation-probe.mjs): bytes allocated per
//      request, by the function that allocated them (self), garbage included;
//   2. under `--trace-gc`, once per young-generation size asked for: scavenges per second, their
//      mean pause and the share of the run they took, next to req/s and CPU µs per response.
// Why both: the young generation's size is what a gateway-only process's RSS turns on
// (docs/architecture.md), and what a smaller one costs is (allocation per request) × (cost per
// scavenge).
// Usage (build first: npm run build):
//   node bench/allocations.mjs [--seconds 5] [--semi 0,1,2]   (0 = V8's default size)
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measuredRun, startBenchUpstream, startRoutedPortico } from './lib/bare-proxy.mjs';
import { stopAll, stopEverythingOnExit, stopProcess, waitForLine } from './lib/processes.mjs';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, semi: { type: 'string', default: '0,1,2' } },
});
const seconds = Number(values.seconds);
const semiSizes = values.semi.split(',').map(Number);
const WORK_DIR = fileURLToPath(new URL('./.work/allocations', import.meta.url));
const PROBE = fileURLToPath(new URL('./lib/allocation-probe.mjs', import.meta.url));
const PROFILE = join(WORK_DIR, 'allocations.heapprofile');
const TOP = 25;

stopEverythingOnExit();
rmSync(WORK_DIR, { recursive: true, force: true });
mkdirSync(WORK_DIR, { recursive: true });
try {
  const upstreamPort = await startBenchUpstream(WORK_DIR);
  await allocationsPerRequest(upstreamPort);
  for (const semi of semiSizes) await scavengeCost(upstreamPort, semi);
} finally {
  await stopAll();
  rmSync(WORK_DIR, { recursive: true, force: true });
}

async function allocationsPerRequest(upstreamPort) {
  const { portico, url } = await startRoutedPortico(WORK_DIR, upstreamPort, {
    nodeArgs: ['--import', PROBE],
    extraEnv: { ALLOCATION_PROFILE: PROFILE },
  });
  const { handle } = portico;
  await measuredRun(url, handle.pid, 2);
  await signalled(handle, 'allocation-probe started');
  const run = await measuredRun(url, handle.pid, seconds);
  await signalled(handle, 'allocation-probe written');
  await stopProcess(handle);
  const bySite = new Map();
  let total = 0;
  const walk = (node) => {
    const { functionName, url: file, lineNumber } = node.callFrame;
    if (node.selfSize > 0) {
      const site = `${functionName || '(anonymous)'} ${file.replace(/^.*\/(dist|node_modules)\//, '')}:${lineNumber + 1}`;
      bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
      total += node.selfSize;
    }
    for (const child of node.children) walk(child);
  };
  walk(JSON.parse(readFileSync(PROFILE, 'utf8')).head);
  const { requests } = run.result;
  console.log(
    `Allocated per request (sampled every 1 KiB, ${requests} requests in ${seconds} s): ${(total / requests).toFixed(0)} bytes`,
  );
  for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
    console.log(`${(bytes / requests).toFixed(0).padStart(7)} B  ${site}`);
  }
}

async function scavengeCost(upstreamPort, semi) {
  const nodeArgs = ['--trace-gc', ...(semi > 0 ? [`--max-semi-space-size=${semi}`] : [])];
  const { portico, url } = await startRoutedPortico(WORK_DIR, upstreamPort, { nodeArgs });
  const { handle } = portico;
  await measuredRun(url, handle.pid, 2);
  const pauses = [];
  // `Scavenge 43.7 (67.0) -> 30.8 (67.0) MB, 1.60 / 0.01 ms ...`: the first figure after "MB," is the pause.
  const onLine = (line) => {
    const match = /Scavenge.*MB, ([\d.]+) \//.exec(line);
    if (match) pauses.push(Number(match[1]));
  };
  handle.lineListeners.add(onLine);
  const run = await measuredRun(url, handle.pid, seconds);
  handle.lineListeners.delete(onLine);
  await stopProcess(handle);
  const pausedMs = pauses.reduce((sum, pause) => sum + pause, 0);
  console.log(
    `young generation ${semi > 0 ? `--max-semi-space-size=${semi}` : 'V8 default'}: ${run.perSecond.toFixed(0)} req/s, ` +
      `${run.cpuMicros.toFixed(1)} CPU µs/response; ${(pauses.length / seconds).toFixed(0)} scavenges/s, ` +
      `mean pause ${(pausedMs / pauses.length).toFixed(2)} ms, ${(pausedMs / (seconds * 10)).toFixed(1)}% of the run`,
  );
}

async function signalled(handle, line) {
  const seen = waitForLine(handle, (text) => (text === line ? text : undefined), 30_000);
  handle.child.kill('SIGUSR2');
  await seen;
}
