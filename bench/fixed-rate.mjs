// Latency at a fixed rate alone, in a minute instead of the whole bench's eight: the upstream
// (nginx) on the load core, the contenders each alone on the proxy core, interleaved rounds of
// an open-loop client, every round printed with the share of the proxy core others used.
// For comparing the clients (their floor is the direct row) and Portico under V8 flags.
//
// Usage (after `npm run build`):
//   node bench/fixed-rate.mjs                             # direct, nginx, Portico; h2load; 3 × 5 s
//   node bench/fixed-rate.mjs --client node,h2load        # both clients, interleaved
//   node bench/fixed-rate.mjs --only direct,nginx         # a subset of contenders
//   node bench/fixed-rate.mjs --portico '--max-semi-space-size=16'   # one more Portico, with these node flags
//   node bench/fixed-rate.mjs --rounds 5 --seconds 5 --rate 2000 --gap 10
//   node bench/fixed-rate.mjs --trace-gc                  # scavenges of each Portico during its measured runs
//   node bench/fixed-rate.mjs --cli <other checkout>/packages/portico/dist/cli/main.js   # another build
// --portico may be given more than once; '' is the plain Portico (always included unless --only
// leaves it out). --gap S idles S seconds before each Portico round (as the bench's other
// contenders do), so V8's memory reducer can shrink its heap as it does in `npm run bench`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { h2loadFixedRate, hasH2load } from './lib/h2load.mjs';
import { nodeFixedRate } from './lib/load.mjs';
import { startNginxProxy, startNginxUpstream } from './lib/nginx.mjs';
import { registerInstance, startPortico, waitUntilRoutable } from './lib/portico.mjs';
import {
  coreTimes,
  cpuSeconds,
  freePort,
  LOAD_CORE,
  PROXY_CORE,
  sleep,
  stopAll,
  stopEverythingOnExit,
} from './lib/processes.mjs';
import { createQuietGate } from './lib/quiet.mjs';
import { percentile } from './lib/stats.mjs';
import { UPSTREAM_BODY, waitUntilServing } from './lib/upstream.mjs';

const BENCH_PATH = '/api/bench/hello';
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const rounds = Number(option('--rounds', 3));
const seconds = Number(option('--seconds', 5));
const rate = Number(option('--rate', 2000));
const gapSeconds = Number(option('--gap', 0));
const warmupSeconds = Number(option('--warmup', 1));
const traceGc = args.includes('--trace-gc');
const cli = args.includes('--cli') ? resolve(option('--cli')) : undefined;
const clients = option('--client', 'h2load').split(',');
const only = option('--only', 'direct,nginx,portico').split(',');
const porticoFlags = [''];
args.forEach((arg, i) => {
  if (arg === '--portico' && !porticoFlags.includes(args[i + 1])) porticoFlags.push(args[i + 1]);
});
if (clients.includes('h2load') && !hasH2load()) throw new Error('h2load is missing: run bench/install-tools.sh');
if (rounds * seconds > 120) throw new Error('keep it short: rounds × seconds ≤ 120');

const CLIENTS = {
  h2load: (options) => h2loadFixedRate(options),
  node: (options) => nodeFixedRate({ ...options, connections: 32 }),
};

stopEverythingOnExit();
const workDir = mkdtempSync(join(tmpdir(), 'portico-fixed-rate-'));
try {
  const upstreamPort = await freePort();
  const upstreamHandle = startNginxUpstream({ workDir, port: upstreamPort, body: UPSTREAM_BODY, core: LOAD_CORE });
  await waitUntilServing(upstreamHandle, upstreamPort);
  const contenders = [];
  if (only.includes('direct')) {
    contenders.push({ name: 'direct', url: `http://127.0.0.1:${upstreamPort}${BENCH_PATH}`, shared: true });
  }
  if (only.includes('nginx')) {
    const port = await freePort();
    const handle = startNginxProxy({ workDir, port, upstreamPort, core: PROXY_CORE });
    await waitUntilServing(handle, port);
    contenders.push({ name: 'nginx', handle, url: `http://127.0.0.1:${port}${BENCH_PATH}` });
  }
  if (only.includes('portico')) {
    for (const flags of porticoFlags) {
      const nodeArgs = [...flags.split(' ').filter(Boolean), ...(traceGc ? ['--trace-gc'] : [])];
      const name = `portico ${flags}`.trim();
      const portico = await startPortico({ workDir, core: PROXY_CORE, nodeArgs, name, ...(cli ? { cli } : {}) });
      await registerInstance(portico.adminUrl, { id: 'bench-1', service: 'bench', port: upstreamPort });
      const url = `${portico.publicUrl}${BENCH_PATH}`;
      await waitUntilRoutable(url, UPSTREAM_BODY);
      const contender = { name: `portico ${flags}`.trim(), handle: portico.handle, url, portico: true, gc: [] };
      // --trace-gc prints one stdout line per collection: keep the scavenges' pause times.
      portico.handle.lineListeners.add((line) => {
        const match = /Scavenge[^,]*?([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB, ([\d.]+) \/ [\d.]+ ms/.exec(
          line,
        );
        if (match && contender.recording)
          contender.gc.push({ pauseMs: Number(match[5]), committedMb: Number(match[4]) });
      });
      contenders.push(contender);
    }
  }

  // Other work on a shared machine shows up as tail latency: wait (bounded) for quiet cores first.
  const quietGate = createQuietGate({ maxWaitMs: 15_000, budgetMs: 120_000 });
  const results = new Map();
  for (let round = 1; round <= rounds; round++) {
    for (const contender of contenders) {
      for (const client of clients) {
        if (contender.portico && gapSeconds > 0) await sleep(gapSeconds * 1000);
        await quietGate.wait();
        const cpuBefore = contender.handle ? cpuSeconds(contender.handle.pid) : 0;
        const coresBefore = coreTimes();
        const started = performance.now();
        if (contender.gc) contender.gc.length = 0;
        contender.recording = true;
        const result = await CLIENTS[client]({
          url: contender.url,
          rate,
          seconds,
          warmupSeconds,
          expectedBody: UPSTREAM_BODY,
        });
        contender.recording = false;
        const wall = (performance.now() - started) / 1000;
        const coresAfter = coreTimes();
        const busy =
          ((coresAfter[PROXY_CORE].busy - coresBefore[PROXY_CORE].busy) /
            (coresAfter[PROXY_CORE].total - coresBefore[PROXY_CORE].total)) *
          100;
        const own =
          contender.handle && !contender.shared ? ((cpuSeconds(contender.handle.pid) - cpuBefore) / wall) * 100 : 0;
        const others = Math.max(0, busy - own);
        const key = `${contender.name} | ${client}`;
        if (!results.has(key)) results.set(key, []);
        results.get(key).push({ ...result, others });
        const { p50, p99, p999, max } = result.latencyMs;
        const gc = contender.gc?.length
          ? `  gc: ${contender.gc.length} scavenges, pause p50 ${percentile(
              contender.gc.map((g) => g.pauseMs),
              50,
            )} max ${Math.max(...contender.gc.map((g) => g.pauseMs))} ms, committed ${contender.gc.at(-1).committedMb} MB`
          : '';
        const client2 =
          result.longestSendGapMs === undefined ? '' : `  send gap max ${result.longestSendGapMs.toFixed(2)} ms`;
        console.log(
          `round ${round} ${key.padEnd(44)} ${result.achievedRate.toFixed(0)} req/s  p50 ${p50.toFixed(3)}  p99 ${p99.toFixed(3)}  ` +
            `p99.9 ${p999.toFixed(3)}  max ${max.toFixed(2)} ms  others on proxy core ${others.toFixed(0)}%${client2}` +
            (result.wrong + result.failed
              ? `  PROBLEM: ${result.wrong + result.failed} bad (${result.firstProblem})`
              : '') +
            (result.overInterval ? `  ${result.overInterval} over the connection interval` : '') +
            gc,
        );
      }
    }
  }
  console.log('\nmerged over the rounds (ms)            p50     p90     p99   p99.9     max   p99 per round');
  for (const [key, runs] of results) {
    const samples = runs.flatMap((run) => run.samplesUs).sort((a, b) => a - b);
    const at = (p) =>
      (samples[Math.min(samples.length - 1, Math.ceil((p / 100) * samples.length) - 1)] / 1000).toFixed(3);
    console.log(
      `${key.padEnd(36)} ${[50, 90, 99, 99.9].map(at).join(' ')} ${(samples.at(-1) / 1000).toFixed(2)}   ${runs.map((r) => r.latencyMs.p99.toFixed(2)).join(', ')}`,
    );
  }
} finally {
  await stopAll();
  rmSync(workDir, { recursive: true, force: true });
}
