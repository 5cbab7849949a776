// `npm run bench`: Portico and its peers side by side in one run, on one machine.
// Installs the tools, builds, picks the upstream and the load generator by measuring them,
// runs interleaved throughput and fixed-rate rounds, then the registry at scale, and writes
// bench/RESULTS.md. See bench/README.md for what each number means.
// Usage: node bench/run.mjs [--quick] [--skip-build] [--bus] [--hub]
//   --quick       1 round of short runs and 1,000 services: a smoke test, not a result
//   --skip-build  use packages/*/dist as they are
//   --bus         also the bus bench (bench/bus.mjs: NATS adapter vs raw JetStream, embedded
//                 adapter vs pg-boss on one PostgreSQL), ~70 s more; off by default because the
//                 suite alone takes 446–470 s of its 9.5-minute watchdog
//   --hub         also the realtime hub fan-out bench (bench/hub-fanout.mjs: 10,000 WebSocket
//                 clients, Portico's hub beside a bare ws server), ~2–4 minutes more; off by default
//                 for the same reason (each opt-in extends the watchdog by its own budget)
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CONTENDERS } from './lib/contenders.mjs';
import { GENERATORS, wrk } from './lib/load.mjs';
import { canPin, runToCompletion, stopAll, stopEverythingOnExit, stopProcess } from './lib/processes.mjs';
import { createQuietGate } from './lib/quiet.mjs';
import {
  fixedRateTable,
  loadAverage,
  machineInfo,
  propagationTable,
  roundsTable,
  scaleTable,
  summarizeFixedRate,
  summarizeThroughput,
  targetsTable,
  throughputTable,
} from './lib/report.mjs';
import { fixedRateRounds, throughputRounds } from './lib/rounds.mjs';
import { measureScale } from './lib/scale.mjs';
import { geometricMean } from './lib/stats.mjs';
import { startFastestUpstream } from './lib/upstream.mjs';

const quick = process.argv.includes('--quick');
const skipBuild = process.argv.includes('--skip-build');
const withBus = process.argv.includes('--bus');
const withHub = process.argv.includes('--hub');
const SETTINGS = {
  rounds: quick ? 1 : 3,
  connections: 50,
  seconds: quick ? 3 : 10,
  warmupSeconds: quick ? 1 : 2,
  /** Each generator loads each calibration contender this long when choosing the generator. */
  calibrationSeconds: quick ? 2 : 4,
  fixedRate: { rate: 2000, seconds: quick ? 2 : 5, warmupSeconds: 2, connections: 32 },
  services: quick ? 1_000 : 10_000,
  propagationChanges: quick ? 200 : 1_000,
  /** Saturation runs redone because other processes took the proxy core (whole bench). */
  noisyRetries: quick ? 1 : 4,
};
/** The whole run must fit in 10 minutes on 2 cores (plus the opt-in benches); past this, stop everything and fail. */
const WATCHDOG_MS = (9.5 + (withBus ? 3.5 : 0) + (withHub ? 4.5 : 0)) * 60_000;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORK_DIR = fileURLToPath(new URL('./.work', import.meta.url));
const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const startedAt = new Date();
const started = performance.now();
const log = (line) => process.stdout.write(`${line}\n`);
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;

stopEverythingOnExit();
const watchdog = setTimeout(() => {
  process.stderr.write(`bench: over ${WATCHDOG_MS / 60_000} minutes, stopping\n`);
  stopAll().finally(() => process.exit(1));
}, WATCHDOG_MS);
watchdog.unref();

try {
  await main();
} catch (error) {
  process.stderr.write(`bench: ${error.stack ?? error.message}\n`);
  process.exitCode = 1;
} finally {
  await stopAll();
  clearTimeout(watchdog);
}

async function main() {
  log(`[${elapsed()}] installing system tools (bench/install-tools.sh)`);
  await runToCompletion('install-tools', 'bash', [`${ROOT}bench/install-tools.sh`], { timeoutMs: 300_000 });
  if (!skipBuild) {
    log(`[${elapsed()}] building (npm run build)`);
    await runToCompletion('build', 'npm', ['run', 'build', '--prefix', ROOT], { timeoutMs: 180_000 });
  }
  rmSync(WORK_DIR, { recursive: true, force: true });
  mkdirSync(WORK_DIR, { recursive: true });
  const loadAverageAtStart = loadAverage();
  if (!canPin) log('taskset cannot pin here: processes share all cores and ratios are less meaningful');

  log(`[${elapsed()}] choosing the upstream (each candidate alone on a core, wrk on the other)`);
  const { upstream, measurements: upstreamChoice } = await startFastestUpstream({
    workDir: WORK_DIR,
    generator: wrk,
    connections: SETTINGS.connections,
    seconds: SETTINGS.calibrationSeconds,
  });
  for (const m of upstreamChoice) log(`  ${m.name}: ${m.reqPerSec.toFixed(0)} req/s${m.kept ? '  ← kept' : ''}`);

  log(`[${elapsed()}] starting contenders`);
  const contenders = [];
  for (const definition of CONTENDERS) {
    const contender = { ...definition, rounds: [], fixedRate: [] };
    contenders.push(contender);
    if (definition.skip) {
      log(`  ${definition.name}: skipped, ${definition.skip}`);
      continue;
    }
    try {
      Object.assign(contender, await definition.start({ workDir: WORK_DIR, upstream }));
      log(`  ${definition.name}: ${contender.url} (pid ${contender.handle.pid})`);
    } catch (error) {
      // One broken contender is a finding for the report, not a reason to lose the others.
      contender.skip = `**failed to start**: ${error.message.split('\n')[0]}`;
      log(`  ${definition.name}: ${contender.skip}`);
    }
  }
  const active = contenders.filter((contender) => !contender.skip);

  log(`[${elapsed()}] choosing the load generator (which loads a one-core proxy harder)`);
  const generatorChoice = await chooseGenerator(active);
  const generator = generatorChoice.chosen;
  log(`  chosen: ${generator.name}`);

  log(
    `[${elapsed()}] throughput: ${SETTINGS.rounds} interleaved rounds × ${active.length} contenders, ` +
      `${SETTINGS.connections} connections, ${SETTINGS.warmupSeconds} s warm-up + ${SETTINGS.seconds} s`,
  );
  const quietGate = createQuietGate({ budgetMs: 30_000 });
  await throughputRounds({
    contenders: active,
    generator,
    ...SETTINGS,
    retryBudget: SETTINGS.noisyRetries,
    quietGate,
    log,
  });

  log(`[${elapsed()}] fixed rate: ${SETTINGS.fixedRate.rate} req/s, ${SETTINGS.rounds} interleaved rounds`);
  await fixedRateRounds({ contenders: active, rounds: SETTINGS.rounds, ...SETTINGS.fixedRate, quietGate, log });

  // The scale run gets the proxy core to itself.
  for (const contender of active) if (!contender.shared) await stopProcess(contender.handle);

  log(
    `[${elapsed()}] scale: ${SETTINGS.services} services through the admin API, propagation over ${SETTINGS.propagationChanges} changes`,
  );
  const scale = { states: [], propagation: {} };
  try {
    await measureScale({
      workDir: WORK_DIR,
      upstreamPort: upstream.port,
      services: SETTINGS.services,
      generator,
      connections: SETTINGS.connections,
      fixedRateOptions: SETTINGS.fixedRate,
      propagationChanges: SETTINGS.propagationChanges,
      quietGate,
      log,
      into: scale,
    });
  } catch (error) {
    scale.error = error.message.split('\n')[0];
    log(`  scale run failed: ${scale.error}`);
    process.exitCode = 1;
  }

  const bus = withBus ? await busBench() : undefined;
  const hub = withHub ? await hubBench() : undefined;

  const throughput = summarizeThroughput(contenders);
  const fixedRate = summarizeFixedRate(contenders);
  const tables = {
    throughput: throughputTable(throughput),
    fixedRate: fixedRateTable(
      fixedRate,
      contenders.filter((c) => c.skip),
    ),
    propagation: propagationTable(scale.propagation),
    scale: scaleTable(scale),
    targets: targetsTable({ throughput, fixedRate, scale, fixedRatePerSecond: SETTINGS.fixedRate.rate }),
  };
  log(`\n## Throughput\n\n${tables.throughput}\n\n## Fixed rate\n\n${tables.fixedRate}`);
  log(`\n## Propagation\n\n${tables.propagation}\n\n## Scale\n\n${tables.scale}\n\n## Targets\n\n${tables.targets}\n`);

  const wallSeconds = (performance.now() - started) / 1000;
  writeFileSync(
    RESULTS,
    resultsMarkdown({
      tables,
      upstream,
      upstreamChoice,
      generatorChoice,
      scale,
      throughput,
      loadAverageAtStart,
      loadAverageAtEnd: loadAverage(),
      quietGate,
      wallSeconds,
      bus,
      hub,
      fixedRateClient: active.find((c) => c.fixedRate.length > 0)?.fixedRate[0],
    }),
  );
  log(`[${elapsed()}] wrote ${RESULTS}`);
}

/**
 * bench/bus.mjs in its own process (it starts and stops its nats-server and PostgreSQL, and has
 * its own 170 s watchdog); its markdown table and ratios go into RESULTS.md. A failure is
 * reported there, not fatal to the gateway figures.
 */
async function busBench() {
  log(`[${elapsed()}] bus: bench/bus.mjs${quick ? ' 1000 100 (1 round)' : ''}`);
  const args = [`${ROOT}bench/bus.mjs`, ...(quick ? ['1000', '100', '--no-pglite'] : [])];
  const env = quick ? { ...process.env, BENCH_BUS_ROUNDS: '1' } : process.env;
  try {
    const { stdout } = await runToCompletion('bus', process.execPath, args, { timeoutMs: 200_000, env });
    const lines = stdout.trim().split('\n');
    const settings = lines.find((l) => l.startsWith('bench/bus:')) ?? '';
    const table = lines.slice(lines.findIndex((l) => l.startsWith('| contender'))).join('\n');
    log(`\n${table}\n`);
    return { settings, table };
  } catch (error) {
    log(`  bus bench failed: ${error.message.split('\n')[0]}`);
    process.exitCode = 1;
    return { error: error.message.split('\n').slice(0, 5).join(' ') };
  }
}

/**
 * bench/hub-fanout.mjs in its own process (its own clients, servers and 240 s watchdog); its
 * table and ratios go into RESULTS.md. A failure is reported there, not fatal to the rest.
 */
async function hubBench() {
  const args = [`${ROOT}bench/hub-fanout.mjs`, ...(quick ? ['1000', '10'] : [])];
  log(`[${elapsed()}] hub fan-out: bench/hub-fanout.mjs${quick ? ' 1000 10' : ''}`);
  try {
    const { stdout } = await runToCompletion('hub-fanout', process.execPath, args, { timeoutMs: 260_000 });
    const lines = stdout.trim().split('\n');
    const settings = lines.find((l) => l.startsWith('bench/hub-fanout:')) ?? '';
    const from = lines.findIndex((l) => l.startsWith('| contender'));
    const table = lines
      .slice(
        from,
        lines.findIndex((l, i) => i > from && l.startsWith('wall ')),
      )
      .join('\n');
    log(`\n${table}\n`);
    return { settings, table };
  } catch (error) {
    log(`  hub fan-out bench failed: ${error.message.split('\n')[0]}`);
    process.exitCode = 1;
    return { error: error.message.split('\n').slice(0, 5).join(' ') };
  }
}

function hubSection(hub) {
  if (!hub) return '';
  if (hub.error) return `\n## Realtime hub fan-out (bench/hub-fanout.mjs)\n\n**The hub bench failed**: ${hub.error}\n`;
  return `\n## Realtime hub fan-out (bench/hub-fanout.mjs)

\`${hub.settings}\`. What the columns mean: the header of bench/hub-fanout.mjs and README.md, "Hub fan-out".

${hub.table.trim()}
`;
}

function busSection(bus) {
  if (!bus) return '';
  if (bus.error) return `\n## Bus (bench/bus.mjs)\n\n**The bus bench failed**: ${bus.error}\n`;
  return `\n## Bus (bench/bus.mjs)

\`${bus.settings}\`. What the columns mean: the header of bench/bus.mjs and README.md, "Bus".

${bus.table}
`;
}

/**
 * Loads the fastest proxy (nginx) and Portico with each generator; the one that gets more
 * responses out of them (geometric mean over both) drives the rest of the run.
 */
async function chooseGenerator(active) {
  const targets = active.filter((c) => c.kind === 'nginx' || c.kind === 'portico');
  const measured = [];
  for (const candidate of GENERATORS) {
    const perTarget = [];
    for (const target of targets) {
      await candidate.run({ url: target.url, headers: target.headers, connections: SETTINGS.connections, seconds: 1 });
      const result = await candidate.run({
        url: target.url,
        headers: target.headers,
        connections: SETTINGS.connections,
        seconds: SETTINGS.calibrationSeconds,
      });
      perTarget.push({ target: target.name, reqPerSec: result.requests / result.seconds, errors: result.errors });
      log(`  ${candidate.name} → ${target.name}: ${(result.requests / result.seconds).toFixed(0)} req/s`);
    }
    measured.push({ generator: candidate, perTarget, score: geometricMean(perTarget.map((t) => t.reqPerSec)) });
  }
  const best = measured.reduce((a, b) => (b.score > a.score ? b : a));
  return { chosen: best.generator, measured };
}

function scaleIntro(scale) {
  const failed = scale.error ? `**The scale run failed**: ${scale.error}\n\n` : '';
  const registration = scale.registration
    ? `Registered in ${scale.registration.seconds.toFixed(1)} s (${(scale.registration.services / scale.registration.seconds).toFixed(0)}/s, ${scale.registration.concurrency} at a time). `
    : '';
  return `${failed}${registration}Same process before and after; req/s and CPU µs/req from a 5 s run, latency from a ${SETTINGS.fixedRate.seconds} s run at ${SETTINGS.fixedRate.rate} req/s. The propagation run before registering leaves ${SETTINGS.propagationChanges.toLocaleString('en-US')} services with no instance in the table too.`;
}

function fixedRateClientText(run) {
  if (run?.client === 'h2load') {
    return `Timed by h2load (nghttp2-client, C) over ${run.connections} keep-alive connections paced on a ${(1000 / SETTINGS.fixedRate.rate).toFixed(2)} ms grid, each request from its submission to the end of its response`;
  }
  return `Timed by the Node client (h2load missing) over up to ${SETTINGS.fixedRate.connections} connections, from release to last body byte`;
}

function resultsMarkdown(r) {
  const machine = machineInfo();
  const command = process.env.npm_lifecycle_event
    ? `npm run ${process.env.npm_lifecycle_event}  # = ${process.env.npm_lifecycle_script}`
    : `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim();
  const generatorLines = r.generatorChoice.measured.map(
    (m) =>
      `- ${m.generator.name}: ${m.perTarget.map((t) => `${t.target} ${t.reqPerSec.toFixed(0)} req/s`).join(', ')}` +
      `${m.generator === r.generatorChoice.chosen ? ' ← chosen' : ''}`,
  );
  return `# Benchmark results

${quick ? '**Quick run (`--quick`): a smoke test, not a result.**\n\n' : ''}Written by \`bench/run.mjs\`; do not edit by hand — run it again. What every column means: [README.md](README.md).

- Date: ${startedAt.toISOString()}
- Command: \`${command}\`
- Wall time of the harness (tools check and build included): ${r.wallSeconds.toFixed(0)} s
- Machine: ${machine.nproc} cores (nproc), ${machine.cpuModel}, Linux ${machine.kernel}
- Node ${machine.node}; ${machine.nginx}; ${machine.wrk}; ${machine.h2load}
- Placement: ${canPin ? 'each proxy alone on core 1 (`taskset -c 1`); load generator and upstream on core 0' : '**no taskset pinning available**'}
- Load average at start: ${r.loadAverageAtStart}; at end: ${r.loadAverageAtEnd} (other work on the machine shows here)
- Waited ${(r.quietGate.waitedMs / 1000).toFixed(0)} s in total for quiet cores before runs; ${r.throughput.rows.reduce((n, row) => n + (row.retried ?? 0), 0)} saturation run(s) redone because other processes took over 15% of the proxy core

## How the setup was chosen (measured in this run)

Upstream — each candidate alone on a core, wrk on the other, ${SETTINGS.connections} connections, ${SETTINGS.calibrationSeconds} s:
${r.upstreamChoice.map((m) => `- ${m.name}: ${m.reqPerSec.toFixed(0)} req/s${m.errors ? ` (${m.errors} errors)` : ''}${m.kept ? ' ← kept' : ''}`).join('\n')}

Load generator — pinned to core 0 against proxies pinned to core 1, ${SETTINGS.calibrationSeconds} s each; the higher geometric mean drives the run:
${generatorLines.join('\n')}

## Throughput at saturation

${r.generatorChoice.chosen.name}, ${SETTINGS.connections} keep-alive connections, ${SETTINGS.rounds} interleaved rounds of ${SETTINGS.warmupSeconds} s warm-up + ${SETTINGS.seconds} s; median of the rounds. Latency here is under saturation (queueing included); see the fixed-rate table for latency at a moderate load.

${r.tables.throughput}

## Latency at a fixed rate (${SETTINGS.fixedRate.rate} req/s, open loop)

${SETTINGS.rounds} interleaved rounds of ${SETTINGS.fixedRate.seconds} s per contender (after a ${SETTINGS.fixedRate.warmupSeconds} s warm-up in the first round, 0.5 s in the others), percentiles over all samples. ${fixedRateClientText(r.fixedRateClient)} on core 0, so the direct row is the client's own floor; the target is judged only when that floor's p99 is at most 0.5 ms.

${r.tables.fixedRate}

## Registry propagation

From sending the change on the admin API to the first gateway answer that reflects it (200 once registered, 503 once the last instance left), one change at a time, on the scale run's Portico before and after it holds ${SETTINGS.services.toLocaleString('en-US')} services.

${r.tables.propagation}

## Scale: ${SETTINGS.services.toLocaleString('en-US')} services (one instance each) registered through the admin API

${scaleIntro(r.scale)}

${r.tables.scale}

## Targets (issue 6)

${r.tables.targets}

## Every round

req/s, and in brackets the share of the proxy core other processes used meanwhile (for the direct row: the share of core 1 they used, which that run does not need).

${roundsTable(r.throughput.rows)}
${busSection(r.bus)}${hubSection(r.hub)}`;
}
