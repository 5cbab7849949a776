// The bare-proxy figure alone, for a before/after comparison of one change on the hot path:
// Portico (the built CLI) pinned on core 1; nginx as the upstream and wrk on core 0, 50
// keep-alive connections. Prints req/s and CPU time per response (user + system, from /proc:
// steadier than req/s when other work shares the machine) per round, and the medians.
// Not part of `npm test`.
// Usage: node bench/gateway-throughput.mjs [--rounds 3] [--seconds 10] [--log-level warn] [--cli path] [--floors]
//   --log-level info   also writes one access line per request (read and dropped by the harness)
//   --cli path         another build of packages/portico/dist/cli/main.js, e.g. a copy made
//                      before the change, so both can be measured in turn on the same machine
//   --floors           also runs two deliberately minimal proxies (bench/servers/floor-*.mjs),
//                      interleaved with Portico on the same core: floor-http-net (node:http server
//                      + raw `net` client, no validation or policies: the floor of Portico's design)
//                      and floor-net-net (raw `net` both sides: what a server of its own could approach)
// Build first: npm run build
import { mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measuredRun, startBenchUpstream, startRoutedPortico } from './lib/bare-proxy.mjs';
import { BENCH_PATH } from './lib/contenders.mjs';
import { canPin, PROXY_CORE, startProcess, stopAll, stopEverythingOnExit, waitForLine } from './lib/processes.mjs';
import { median } from './lib/stats.mjs';
import { listeningPort, UPSTREAM_BODY } from './lib/upstream.mjs';
import { probe } from './lib/verify.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
    'log-level': { type: 'string', default: 'warn' },
    cli: { type: 'string' },
    floors: { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const WORK_DIR = fileURLToPath(new URL('./.work/gateway-throughput', import.meta.url));

/** A minimal proxy from bench/servers, pinned where Portico is. */
async function startFloor(file, upstreamPort) {
  const path = fileURLToPath(new URL(`./servers/${file}.mjs`, import.meta.url));
  const handle = startProcess(file, process.execPath, [path, String(upstreamPort)], { core: PROXY_CORE });
  const port = await waitForLine(handle, listeningPort, 15_000);
  return { name: file, pid: handle.pid, url: `http://127.0.0.1:${port}${BENCH_PATH}` };
}

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
  const contenders = [{ name: 'Portico bare proxy', pid: portico.handle.pid, url }];
  if (values.floors) {
    contenders.unshift(await startFloor('floor-http-net', upstreamPort));
    contenders.push(await startFloor('floor-net-net', upstreamPort));
  }
  for (const contender of contenders) {
    const problem = await probe(contender.url, UPSTREAM_BODY);
    if (problem) throw new Error(`${contender.name} does not proxy: ${problem}`);
    await measuredRun(contender.url, contender.pid, 2);
  }
  const figures = new Map(contenders.map((contender) => [contender.name, { perSecond: [], cpu: [] }]));
  for (let round = 1; round <= rounds; round++) {
    for (const contender of contenders) {
      const { result, perSecond, cpuMicros } = await measuredRun(contender.url, contender.pid, seconds);
      figures.get(contender.name).perSecond.push(perSecond);
      figures.get(contender.name).cpu.push(cpuMicros);
      const errors = result.errors > 0 ? ` (${result.errorDetail})` : '';
      process.stdout.write(
        `round ${round} ${contender.name}: ${perSecond.toFixed(0)} req/s, ${cpuMicros.toFixed(1)} CPU µs/response, ` +
          `p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(2)} ms${errors}\n`,
      );
    }
  }
  for (const [name, { perSecond, cpu }] of figures) {
    process.stdout.write(
      `median ${name}: ${median(perSecond).toFixed(0)} req/s, ${median(cpu).toFixed(1)} CPU µs/response\n`,
    );
  }
} catch (error) {
  process.stderr.write(`gateway-throughput: ${error.stack ?? error.message}\n`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
