// Open-loop load at a fixed rate, for latency at a load every contender can carry.
// Why not autocannon --overallRate: it sends each connection's quota for the second in one
// burst at the start of the second, and records latency in whole milliseconds, which cannot
// show a 1 ms p99 target. Here requests are released on a 1 ms tick at the exact average rate,
// whatever the previous ones are doing, and each latency is timed in microseconds from the
// moment the request was released to the last byte of its body (queueing for a free
// connection included, so a slow proxy cannot hide behind coordinated omission).
// Usage: node fixed-rate-client.mjs '{"url":…,"rate":2000,"seconds":5,"warmupSeconds":1,
//        "connections":32,"expectedBody":"…"}'   prints one JSON line.
import { Pool } from 'undici';

const options = JSON.parse(process.argv[2]);
const { rate, seconds, warmupSeconds, connections, expectedBody } = options;
const url = new URL(options.url);
const pool = new Pool(url.origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
const path = url.pathname + url.search;

/** Sends `total` requests at `rate`; resolves with their latencies (ms) and failures. */
async function phase(total) {
  // NaN marks a request that failed or never settled; only real answers count in percentiles.
  const latencies = new Float64Array(total).fill(Number.NaN);
  let released = 0;
  let settled = 0;
  let wrong = 0;
  let failed = 0;
  let firstProblem = '';
  let resolveAll;
  const allSettled = new Promise((resolve) => {
    resolveAll = resolve;
  });
  const settle = () => {
    settled++;
    if (settled === total) resolveAll();
  };
  const send = () => {
    const index = released++;
    const started = performance.now();
    pool.request({ path, method: 'GET', headers: options.headers }).then(
      async ({ statusCode, body }) => {
        const text = await body.text();
        latencies[index] = performance.now() - started;
        if (statusCode !== 200 || text !== expectedBody) {
          wrong++;
          firstProblem ||= `status ${statusCode}, body ${JSON.stringify(text.slice(0, 80))}`;
        }
        settle();
      },
      (error) => {
        failed++;
        firstProblem ||= error.code ?? error.message;
        settle();
      },
    );
  };
  const start = performance.now();
  const tick = setInterval(() => {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    while (released < due) send();
    if (released === total) clearInterval(tick);
  }, 1);
  // Bounded: a contender that stops answering cannot hang the bench.
  const timeout = new Promise((resolve) => setTimeout(resolve, (total / rate) * 1000 + 10_000).unref());
  await Promise.race([allSettled, timeout]);
  clearInterval(tick);
  const elapsed = (performance.now() - start) / 1000;
  return { latencies, released, settled, wrong, failed, firstProblem, elapsed };
}

await phase(Math.round(rate * warmupSeconds));
const measured = await phase(Math.round(rate * seconds));
const ok = [...measured.latencies].filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
const at = (p) => (ok.length === 0 ? Number.NaN : ok[Math.min(ok.length - 1, Math.ceil((p / 100) * ok.length) - 1)]);
process.stdout.write(
  `${JSON.stringify({
    requested: Math.round(rate * seconds),
    completed: ok.length,
    achievedRate: measured.settled / measured.elapsed,
    wrong: measured.wrong,
    failed: measured.failed + (Math.round(rate * seconds) - measured.settled),
    firstProblem: measured.firstProblem,
    latencyMs: { p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max: ok.at(-1) ?? Number.NaN },
    // Every sample, in whole microseconds, so rounds can be merged into exact percentiles.
    samplesUs: ok.map((ms) => Math.round(ms * 1000)),
  })}\n`,
);
await pool.destroy();
