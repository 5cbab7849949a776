// How far Portico's bare proxy is from the floor of its design, and from the next design: two
// deliberately minimal Node proxies (bench/servers/floor-*.mjs) and Portico, each pinned alone on
// core 1, the nginx upstream and wrk on core 0, interleaved rounds of 50 keep-alive connections.
// - floor-http-net: node:http server + raw `net` client, no validation or policies — the least a
//   proxy on a node:http server can cost per request (Portico's current design);
// - floor-net-net: raw `net` on both sides — what an HTTP/1.1 server of Portico's own could approach.
// Prints req/s and CPU µs per response per round, and the medians. Not part of `npm test`.
// Usage: node bench/proxy-floor.mjs [--rounds 3] [--seconds 6]   (build first: npm run build)
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
  options: { rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '6' } },
});
const WORK_DIR = fileURLToPath(new URL('./.work/proxy-floor', import.meta.url));

stopEverythingOnExit();
rmSync(WORK_DIR, { recursive: true, force: true });
mkdirSync(WORK_DIR, { recursive: true });
try {
  if (!canPin) process.stdout.write('taskset cannot pin here: figures are less meaningful\n');
  const upstreamPort = await startBenchUpstream(WORK_DIR);
  const floor = async (file) => {
    const path = fileURLToPath(new URL(`./servers/${file}`, import.meta.url));
    const handle = startProcess(file, process.execPath, [path, String(upstreamPort)], { core: PROXY_CORE });
    const port = await waitForLine(handle, listeningPort, 15_000);
    return { name: file.replace('.mjs', ''), pid: handle.pid, url: `http://127.0.0.1:${port}${BENCH_PATH}` };
  };
  const { portico, url } = await startRoutedPortico(WORK_DIR, upstreamPort);
  const contenders = [
    await floor('floor-http-net.mjs'),
    { name: 'Portico bare proxy', pid: portico.handle.pid, url },
    await floor('floor-net-net.mjs'),
  ];
  for (const contender of contenders) {
    const problem = await probe(contender.url, UPSTREAM_BODY);
    if (problem) throw new Error(`${contender.name} does not proxy: ${problem}`);
    await measuredRun(contender.url, contender.pid, 2);
  }
  const seen = new Map(contenders.map((contender) => [contender.name, { perSecond: [], cpu: [] }]));
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const contender of contenders) {
      const { perSecond, cpuMicros } = await measuredRun(contender.url, contender.pid, Number(values.seconds));
      seen.get(contender.name).perSecond.push(perSecond);
      seen.get(contender.name).cpu.push(cpuMicros);
      process.stdout.write(
        `round ${round} ${contender.name.padEnd(20)} ${perSecond.toFixed(0)} req/s, ${cpuMicros.toFixed(1)} CPU µs/response\n`,
      );
    }
  }
  process.stdout.write('\nmedians:\n');
  for (const [name, { perSecond, cpu }] of seen) {
    process.stdout.write(
      `${name.padEnd(20)} ${median(perSecond).toFixed(0)} req/s, ${median(cpu).toFixed(1)} CPU µs/response\n`,
    );
  }
} catch (error) {
  process.stderr.write(`proxy-floor: ${error.stack ?? error.message}\n`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
