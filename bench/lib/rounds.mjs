// Interleaved rounds (A B C … A B C …): whatever drifts during the run — thermal state, a
// neighbour on the machine — falls on every contender alike instead of on whoever ran last.
import { fixedRate } from './load.mjs';
import { coreTimes, cpuSeconds, LOAD_CORE, PROXY_CORE, rssMiB } from './processes.mjs';
import { UPSTREAM_BODY } from './upstream.mjs';
import { probe, responseBytes } from './verify.mjs';

/** Another process using more than this share of the proxy core makes a run worth redoing. */
const NOISY_RUN_PERCENT = 15;

/**
 * Saturation runs: per round and contender, a warm-up, then a measured run, bracketed by body
 * probes. A run disturbed by other processes on the proxy core is redone once (within
 * `retryBudget` for the whole bench) and the quieter attempt kept. Fills `contender.rounds`.
 */
export async function throughputRounds({
  contenders,
  generator,
  rounds,
  connections,
  seconds,
  warmupSeconds,
  quietGate,
  retryBudget,
  log,
}) {
  let retriesLeft = retryBudget;
  for (let round = 1; round <= rounds; round++) {
    for (const contender of contenders) {
      const { url, headers } = contender;
      const problems = [];
      const before = await probe(url, UPSTREAM_BODY, 20, headers);
      if (before) problems.push(`before: ${before}`);
      const goodSize = await responseBytes(url, headers).catch(() => undefined);
      await generator.run({ url, headers, connections, seconds: warmupSeconds });
      let record = await measuredRun({ contender, generator, connections, seconds, goodSize, quietGate });
      // The direct run does not use the proxy core, so what happens there does not disturb it.
      if (!contender.shared && record.othersOnProxyCorePercent > NOISY_RUN_PERCENT && retriesLeft > 0) {
        retriesLeft--;
        logRun(log, round, contender, record, '(noisy, redoing)');
        const again = await measuredRun({ contender, generator, connections, seconds, goodSize, quietGate });
        // Both attempts must be correct; only the figures come from the quieter one.
        again.problems.push(...record.problems);
        const secondIsQuieter = again.othersOnProxyCorePercent < record.othersOnProxyCorePercent;
        record = secondIsQuieter ? again : { ...record, problems: again.problems };
        record.attempts = 2;
        record.kept = secondIsQuieter ? '(redo kept)' : '(first attempt kept)';
      }
      const after = await probe(url, UPSTREAM_BODY, 20, headers);
      if (after) problems.push(`after: ${after}`);
      record.problems = [...new Set([...problems, ...record.problems])];
      record.round = round;
      contender.rounds.push(record);
      logRun(log, round, contender, record, record.kept ?? '');
    }
  }
}

async function measuredRun({ contender, generator, connections, seconds, goodSize, quietGate }) {
  const { url, headers, handle } = contender;
  await quietGate.wait();
  const cpuBefore = cpuSeconds(handle.pid);
  const coresBefore = coreTimes();
  const result = await generator.run({ url, headers, connections, seconds });
  const coresAfter = coreTimes();
  const cpu = cpuSeconds(handle.pid) - cpuBefore;
  const problems = [];
  if (result.errors > 0) problems.push(`under load: ${result.errorDetail}`);
  const bytesPerResponse = result.bytes / result.requests;
  // Header sizes differ by a few bytes (dates, ids); a different response differs by more.
  if (goodSize !== undefined && Math.abs(bytesPerResponse - goodSize) > Math.max(16, goodSize * 0.1)) {
    problems.push(`responses under load averaged ${bytesPerResponse.toFixed(0)} B, a good one is ${goodSize} B`);
  }
  const cpuPercent = (cpu / result.seconds) * 100;
  const coreBusyPercent = {
    load: busyPercent(coresBefore, coresAfter, LOAD_CORE),
    proxy: busyPercent(coresBefore, coresAfter, PROXY_CORE),
  };
  return {
    problems,
    attempts: 1,
    reqPerSec: result.requests / result.seconds,
    latencyMs: result.latencyMs,
    requests: result.requests,
    cpuPercent,
    cpuMicrosPerRequest: (cpu / result.requests) * 1e6,
    rssMiB: rssMiB(handle.pid),
    coreBusyPercent,
    // Pinning keeps our processes apart, not the rest of the machine: what else ran on the
    // proxy core during the run is noise this run's figure carries.
    othersOnProxyCorePercent: Math.max(0, coreBusyPercent.proxy - (contender.shared ? 0 : cpuPercent)),
  };
}

function logRun(log, round, contender, record, suffix) {
  log(
    `  round ${round} ${contender.name.padEnd(26)} ${record.reqPerSec.toFixed(0).padStart(7)} req/s  ` +
      `p99 ${record.latencyMs.p99.toFixed(2)} ms  cpu ${record.cpuPercent.toFixed(0)}% ` +
      `(${record.cpuMicrosPerRequest.toFixed(1)} µs/req)  ` +
      `cores ${record.coreBusyPercent.load.toFixed(0)}/${record.coreBusyPercent.proxy.toFixed(0)}%  ` +
      `others on proxy core ${record.othersOnProxyCorePercent.toFixed(0)}%` +
      (record.problems.length ? `  PROBLEM: ${record.problems.join('; ')}` : '') +
      (suffix ? `  ${suffix}` : ''),
  );
}

/** Open-loop runs at a fixed rate, interleaved the same way; fills `contender.fixedRate`. */
export async function fixedRateRounds({
  contenders,
  rounds,
  rate,
  seconds,
  warmupSeconds,
  connections,
  quietGate,
  log,
}) {
  for (let round = 1; round <= rounds; round++) {
    for (const contender of contenders) {
      await quietGate.wait();
      const cpuBefore = cpuSeconds(contender.handle.pid);
      const coresBefore = coreTimes();
      const started = performance.now();
      const result = await fixedRate({
        url: contender.url,
        headers: contender.headers,
        rate,
        seconds,
        // The first round warms the JIT and the connections; later rounds only refill the pool.
        warmupSeconds: round === 1 ? warmupSeconds : 0.5,
        connections,
        expectedBody: UPSTREAM_BODY,
      });
      // A tail of tens of ms at 2k req/s is usually another process holding a core; record it
      // (warm-up included) so the table can say which rounds were disturbed.
      const busy = busyPercent(coresBefore, coreTimes(), PROXY_CORE);
      const ownPercent = contender.shared
        ? 0
        : ((cpuSeconds(contender.handle.pid) - cpuBefore) / ((performance.now() - started) / 1000)) * 100;
      result.othersOnProxyCorePercent = Math.max(0, busy - ownPercent);
      contender.fixedRate.push(result);
      const { p50, p99, max } = result.latencyMs;
      log(
        `  round ${round} ${contender.name.padEnd(26)} ${result.achievedRate.toFixed(0).padStart(5)} req/s  ` +
          `p50 ${p50.toFixed(3)}  p99 ${p99.toFixed(3)}  max ${max.toFixed(2)} ms  ` +
          `others on proxy core ${result.othersOnProxyCorePercent.toFixed(0)}%` +
          (result.longestSendGapMs === undefined ? '' : `  longest send gap ${result.longestSendGapMs.toFixed(1)} ms`) +
          (result.wrong + result.failed > 0
            ? `  PROBLEM: ${result.wrong + result.failed} bad (${result.firstProblem})`
            : ''),
      );
    }
  }
}

function busyPercent(before, after, core) {
  const a = after[core];
  const b = before[core];
  if (!a || !b) return Number.NaN;
  return ((a.busy - b.busy) / (a.total - b.total)) * 100;
}
