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
import { measuredRun, startBenchUpstream, startRoutedPortico } from './lib/bare-proxy.mjs';
import { wrk } from './lib/load.mjs';
import { canPin, stopAll, stopEverythingOnExit } from './lib/processes.mjs';
import { median } from './lib/stats.mjs';

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
  const upstreamPort = await startBenchUpstream(WORK_DIR);
  const { portico, url } = await startRoutedPortico(WORK_DIR, upstreamPort, {
    extraEnv: { PORTICO_LOG_LEVEL: values['log-level'] },
    ...(values.cli ? { cli: values.cli } : {}),
  });
  await wrk.run({ url, connections: 50, seconds: 2 });
  const figures = [];
  const cpuPerResponse = [];
  for (let round = 1; round <= rounds; round++) {
    const { result, perSecond, cpuMicros } = await measuredRun(url, portico.handle.pid, seconds);
    figures.push(perSecond);
    cpuPerResponse.push(cpuMicros);
    const errors = result.errors > 0 ? ` (${result.errorDetail})` : '';
    process.stdout.write(
      `round ${round}: ${perSecond.toFixed(0)} req/s, ${cpuMicros.toFixed(1)} CPU µs/response, ` +
        `p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(2)} ms${errors}\n`,
    );
  }
  process.stdout.write(
    `median: ${median(figures).toFixed(0)} req/s, ${median(cpuPerResponse).toFixed(1)} CPU µs/response\n`,
  );
} catch (error) {
  process.stderr.write(`gateway-throughput: ${error.stack ?? error.message}\n`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
