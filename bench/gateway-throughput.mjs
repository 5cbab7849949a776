// The bare-proxy figure alone, for a before/after comparison of one change on the hot path:
// Portico (the built CLI) pinned on core 1; nginx as the upstream and wrk on core 0, 50
// keep-alive connections. Prints req/s and Portico's CPU time per response (user + system, from
// /proc: steadier than req/s when other work shares the machine) per round, and the medians.
// Not part of `npm test`.
// Usage: node bench/gateway-throughput.mjs [--rounds 3] [--seconds 10] [--log-level warn] [--cli path]
//   --log-level info   also writes one access line per request (read and dropped by the harness)
//   --cli path         another build of packages/portico/dist/cli/main.js, e.g. a copy made
//                      before the change, so both can be measured in turn on the same machine
// Build first: npm run build
import { mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BENCH_PATH } from './lib/contenders.mjs';
import { wrk } from './lib/load.mjs';
import { startNginxUpstream } from './lib/nginx.mjs';
import { registerInstance, startPortico, waitUntilRoutable } from './lib/portico.mjs';
import {
  canPin,
  cpuSeconds,
  freePort,
  LOAD_CORE,
  PROXY_CORE,
  stopAll,
  stopEverythingOnExit,
} from './lib/processes.mjs';
import { UPSTREAM_BODY, waitUntilServing } from './lib/upstream.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
    'log-level': { type: 'string', default: 'warn' },
    cli: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const WORK_DIR = fileURLToPath(new URL('./.work/gateway-throughput', import.meta.url));

stopEverythingOnExit();
rmSync(WORK_DIR, { recursive: true, force: true });
mkdirSync(WORK_DIR, { recursive: true });
try {
  if (!canPin) process.stdout.write('taskset cannot pin here: figures are less meaningful\n');
  const upstreamPort = await freePort();
  const upstream = startNginxUpstream({ workDir: WORK_DIR, port: upstreamPort, body: UPSTREAM_BODY, core: LOAD_CORE });
  await waitUntilServing(upstream, upstreamPort);
  const portico = await startPortico({
    workDir: WORK_DIR,
    core: PROXY_CORE,
    extraEnv: { PORTICO_LOG_LEVEL: values['log-level'] },
    ...(values.cli ? { cli: values.cli } : {}),
  });
  await registerInstance(portico.adminUrl, { id: 'bench-1', service: 'bench', port: upstreamPort });
  const url = `${portico.publicUrl}${BENCH_PATH}`;
  await waitUntilRoutable(url, UPSTREAM_BODY);
  await wrk.run({ url, connections: 50, seconds: 2 });
  const figures = [];
  const cpuPerResponse = [];
  for (let round = 1; round <= rounds; round++) {
    const cpuBefore = cpuSeconds(portico.handle.pid);
    const result = await wrk.run({ url, connections: 50, seconds });
    const cpuMicros = ((cpuSeconds(portico.handle.pid) - cpuBefore) * 1e6) / result.requests;
    const perSecond = result.requests / result.seconds;
    figures.push(perSecond);
    cpuPerResponse.push(cpuMicros);
    const errors = result.errors > 0 ? ` (${result.errorDetail})` : '';
    process.stdout.write(
      `round ${round}: ${perSecond.toFixed(0)} req/s, ${cpuMicros.toFixed(1)} CPU µs/response, ` +
        `p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(2)} ms${errors}\n`,
    );
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  process.stdout.write(
    `median: ${median(figures).toFixed(0)} req/s, ${median(cpuPerResponse).toFixed(1)} CPU µs/response\n`,
  );
} catch (error) {
  process.stderr.write(`gateway-throughput: ${error.stack ?? error.message}\n`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
