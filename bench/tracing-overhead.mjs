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
import { measuredRun, startBenchUpstream, startRoutedPortico } from './lib/bare-proxy.mjs';
import { wrk } from './lib/load.mjs';
import { PORTICO_CLI } from './lib/portico.mjs';
import { canPin, stopAll, stopEverythingOnExit } from './lib/processes.mjs';
import { median } from './lib/stats.mjs';

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
  const upstreamPort = await startBenchUpstream(WORK_DIR);
  for (const setting of settings) {
    const { portico, url } = await startRoutedPortico(WORK_DIR, upstreamPort, {
      cli: setting.cli,
      name: `portico (${setting.name})`,
      extraEnv: { PORTICO_LOG_LEVEL: 'warn', ...setting.env },
    });
    setting.url = url;
    setting.pid = portico.handle.child.pid;
    setting.figures = [];
    await wrk.run({ url: setting.url, connections: 50, seconds: 2 });
  }
  for (let round = 1; round <= rounds; round++) {
    // Each round starts with the next setting, so none always runs first or after the same one.
    for (let i = 0; i < settings.length; i++) {
      const setting = settings[(i + round) % settings.length];
      const { result, perSecond, cpuMicros } = await measuredRun(setting.url, setting.pid, seconds);
      const figure = { perSecond, cpuMicros, p99: result.latencyMs.p99 };
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
