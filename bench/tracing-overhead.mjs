// What tracing costs the gateway, on the bare proxy: one Portico process per setting, all pinned
// on core 1 (only the one under load works), nginx and wrk on core 0, 50 keep-alive connections.
// Settings: tracing off, on with no exporter (`none`), on with OTLP export to a sink in this
// process that drops what it gets, and optionally a baseline build (`--baseline path/to/cli`,
// e.g. a build of the commit before). Short runs alternate between them, round after round, so
// a busy machine disturbs them alike (and each round starts with another); besides req/s it prints the CPU time Portico spent per
// request, which contention disturbs far less than throughput. Not part of `npm test`.
// Usage: node bench/tracing-overhead.mjs [--rounds 6] [--seconds 5] [--baseline <cli>]
// Build first: npm run build
import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BENCH_PATH } from './lib/contenders.mjs';
import { wrk } from './lib/load.mjs';
import { startNginxUpstream } from './lib/nginx.mjs';
import { PORTICO_CLI, registerInstance, startPortico, waitUntilRoutable } from './lib/portico.mjs';
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
    rounds: { type: 'string', default: '6' },
    seconds: { type: 'string', default: '5' },
    baseline: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const WORK_DIR = fileURLToPath(new URL('./.work/tracing-overhead', import.meta.url));
const log = (line) => process.stdout.write(`${line}\n`);
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];

stopEverythingOnExit();
rmSync(WORK_DIR, { recursive: true, force: true });
mkdirSync(WORK_DIR, { recursive: true });
// The OTLP sink: answers every export at once and keeps nothing.
const sink = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.end('{}'));
});
try {
  if (!canPin) log('taskset cannot pin here: figures are less meaningful');
  await new Promise((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${sink.address().port}/v1/traces`;
  const settings = [
    ...(values.baseline ? [{ name: 'baseline', cli: values.baseline, env: {} }] : []),
    { name: 'off', cli: PORTICO_CLI, env: {} },
    {
      name: 'on, exporter none',
      cli: PORTICO_CLI,
      env: { PORTICO_TRACING_ENABLED: 'true', PORTICO_TRACING_EXPORTER: 'none' },
    },
    {
      name: 'on, OTLP to a sink',
      cli: PORTICO_CLI,
      env: { PORTICO_TRACING_ENABLED: 'true', PORTICO_OTLP_ENDPOINT: endpoint },
    },
  ];
  const upstreamPort = await freePort();
  const upstream = startNginxUpstream({ workDir: WORK_DIR, port: upstreamPort, body: UPSTREAM_BODY, core: LOAD_CORE });
  await waitUntilServing(upstream, upstreamPort);
  for (const setting of settings) {
    const portico = await startPortico({
      workDir: WORK_DIR,
      core: PROXY_CORE,
      cli: setting.cli,
      name: `portico (${setting.name})`,
      extraEnv: { PORTICO_LOG_LEVEL: 'warn', ...setting.env },
    });
    await registerInstance(portico.adminUrl, { id: 'bench-1', service: 'bench', port: upstreamPort });
    setting.url = `${portico.publicUrl}${BENCH_PATH}`;
    setting.pid = portico.handle.child.pid;
    setting.figures = [];
    await waitUntilRoutable(setting.url, UPSTREAM_BODY);
    await wrk.run({ url: setting.url, connections: 50, seconds: 2 });
  }
  for (let round = 1; round <= rounds; round++) {
    // Each round starts with the next setting, so none always runs first or after the same one.
    for (let i = 0; i < settings.length; i++) {
      const setting = settings[(i + round) % settings.length];
      const cpuBefore = cpuSeconds(setting.pid);
      const result = await wrk.run({ url: setting.url, connections: 50, seconds });
      const cpu = cpuSeconds(setting.pid) - cpuBefore;
      const figure = {
        perSecond: result.requests / result.seconds,
        cpuMicros: (cpu * 1e6) / result.requests,
        p99: result.latencyMs.p99,
      };
      setting.figures.push(figure);
      const errors = result.errors > 0 ? ` (${result.errorDetail})` : '';
      log(
        `round ${round}, ${setting.name}: ${figure.perSecond.toFixed(0)} req/s, ${figure.cpuMicros.toFixed(1)} µs CPU/request, p99 ${figure.p99.toFixed(2)} ms${errors}`,
      );
    }
  }
  log('\n| tracing | req/s (median) | CPU per request (median) | p99 (median) |\n| --- | --- | --- | --- |');
  for (const { name, figures } of settings) {
    const perSecond = median(figures.map((f) => f.perSecond));
    const cpu = median(figures.map((f) => f.cpuMicros));
    log(
      `| ${name} | ${perSecond.toFixed(0)} | ${cpu.toFixed(1)} µs | ${median(figures.map((f) => f.p99)).toFixed(2)} ms |`,
    );
  }
} catch (error) {
  process.stderr.write(`tracing-overhead: ${error.stack ?? error.message}\n`);
  process.exitCode = 1;
} finally {
  await stopAll();
  sink.close();
}
