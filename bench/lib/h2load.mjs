// Open-loop latency at a fixed rate with h2load (Debian's nghttp2-client), a C client on libev.
// Why not Node (fixed-rate-client.mjs, kept as the fallback): on this VM its own floor (direct
// to nginx) had a p99 of 1–8 ms from its event loop and GC, more than the 1 ms target it has
// to judge. Why not wrk: Debian has wrk 4.1, not wrk2, so it has no fixed rate, and a Lua
// delay() would make it wait for each answer before the next request (closed loop: a stall
// would hold back the requests that should have arrived during it, coordinated omission).
//
// How h2load is made open loop here:
// - `--rps` paces each connection on its own timer whatever the others do, and HTTP/1.1 allows
//   one request in flight per connection; so there are enough connections that each sends only
//   every ~50 ms (`perConnectionIntervalMs`). A request waits for its connection only if the one
//   before it took that long; every answer slower than that is counted (`overInterval`) so such a
//   run can be told apart.
// - `-r 1 --rate-period 1ms` opens one connection per millisecond, and the connection count is
//   odd, so the connections' timers fall on a grid of 1/rate (0.5 ms at 2000 req/s) instead of
//   firing together.
// - LIBEV_FLAGS=1 makes libev use select(), whose timeout has µs resolution; with epoll (its
//   default) timers round to whole milliseconds and requests leave in bursts of 2–3.
// - `--log-file` gives every request's start time (µs) and its time to the end of the response
//   (µs, from the moment h2load submitted it). The first `warmupSeconds` of the run (connections
//   opening, the proxy's JIT warming) and the ramp-down are cut; percentiles are over the rest.
// h2load does not read bodies: a status other than 200 counts as wrong, and the body bytes of the
// run must equal the expected body's length times the responses.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOAD_CORE, runToCompletion } from './processes.mjs';

/** Each connection sends at most once per this interval, so a request waits for its connection only behind a slower answer. */
const MIN_INTERVAL_MS = 50;
/** Requests sent after the measured window, so the last connections to open are still sending during it. */
const TAIL_SECONDS = 0.25;

let installed;
/** Whether h2load is installed (bench/install-tools.sh installs it); asked once, after that step. */
export function hasH2load() {
  installed ??= spawnSync('h2load', ['--version'], { stdio: 'ignore' }).status === 0;
  return installed;
}

/** An odd connection count (coprime with rate/1000) giving each connection ≥ MIN_INTERVAL_MS between requests. */
export function h2loadConnections(rate) {
  const perMs = Math.max(1, Math.round(rate / 1000));
  let connections = Math.ceil((rate * MIN_INTERVAL_MS) / 1000) | 1;
  while (gcd(connections, perMs) !== 1) connections += 2;
  return connections;
}

/**
 * Runs h2load at `rate` req/s for `warmupSeconds` + `seconds` on the load core; resolves with
 * the same shape as fixed-rate-client.mjs (percentiles in ms, every sample in µs).
 */
export async function h2loadFixedRate({
  url,
  rate,
  seconds,
  warmupSeconds,
  expectedBody,
  headers = {},
  withRequests = false,
}) {
  const connections = h2loadConnections(rate);
  const perConnectionIntervalMs = (connections / rate) * 1000;
  // Whole requests per connection (h2load divides -n among them).
  const perConnection = Math.ceil((rate * (warmupSeconds + seconds + TAIL_SECONDS)) / connections);
  const dir = mkdtempSync(join(tmpdir(), 'portico-h2load-'));
  const logFile = join(dir, 'requests.tsv');
  const args = [
    '--h1',
    '-c',
    String(connections),
    '-r',
    '1',
    '--rate-period',
    '1ms',
    '--rps',
    String(rate / connections),
    '-n',
    String(perConnection * connections),
    // A contender that stops answering fails its requests instead of hanging the run.
    '-N',
    '5s',
    '--log-file',
    logFile,
  ];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  args.push(url);
  try {
    const { stdout } = await runToCompletion('h2load', 'h2load', args, {
      core: LOAD_CORE,
      timeoutMs: (warmupSeconds + seconds + 30) * 1000,
      env: { ...process.env, LIBEV_FLAGS: '1' },
    });
    return summarize({
      rows: readFileSync(logFile, 'utf8'),
      stdout,
      rate,
      seconds,
      warmupSeconds,
      expectedBody,
      connections,
      perConnectionIntervalMs,
      withRequests,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function summarize({
  rows,
  stdout,
  rate,
  seconds,
  warmupSeconds,
  expectedBody,
  connections,
  perConnectionIntervalMs,
  withRequests,
}) {
  const requests = [];
  for (const line of rows.split('\n')) {
    if (!line) continue;
    const [start, status, micros] = line.split('\t');
    requests.push({ start: Number(start), status: Number(status), micros: Number(micros) });
  }
  if (requests.length === 0) throw new Error(`h2load logged no request: ${stdout.slice(-400)}`);
  const first = requests.reduce((min, r) => Math.min(min, r.start), Number.POSITIVE_INFINITY);
  const from = first + warmupSeconds * 1e6;
  const to = from + seconds * 1e6;
  const measured = requests.filter((r) => r.start >= from && r.start < to);
  const ok = [];
  let wrong = 0;
  let failed = 0;
  let firstProblem = '';
  for (const r of measured) {
    if (r.status === -1) {
      failed++;
      firstProblem ||= 'request failed (h2load status -1)';
    } else {
      if (r.status !== 200) {
        wrong++;
        firstProblem ||= `status ${r.status}`;
      }
      ok.push(r.micros);
    }
  }
  // Body bytes of the whole run (warm-up included): every response must carry exactly the body.
  const data = /traffic: .*?\((\d+)\) data/.exec(stdout);
  const done = /requests: .*?(\d+) succeeded/.exec(stdout);
  if (data && done && Number(data[1]) !== Number(done[1]) * Buffer.byteLength(expectedBody)) {
    wrong = Math.max(wrong, 1);
    firstProblem ||= `body bytes ${data[1]} for ${done[1]} responses of ${Buffer.byteLength(expectedBody)} B`;
  }
  ok.sort((a, b) => a - b);
  const at = (p) =>
    ok.length === 0 ? Number.NaN : ok[Math.min(ok.length - 1, Math.ceil((p / 100) * ok.length) - 1)] / 1000;
  // Send times, in order: a gap far beyond 1/rate is the client (or its core) stalling.
  const starts = measured.map((r) => r.start).sort((a, b) => a - b);
  let longestSendGapUs = 0;
  for (let i = 1; i < starts.length; i++) longestSendGapUs = Math.max(longestSendGapUs, starts[i] - starts[i - 1]);
  return {
    client: 'h2load',
    connections,
    requested: Math.round(rate * seconds),
    completed: ok.length,
    achievedRate: measured.length / seconds,
    wrong,
    failed,
    firstProblem,
    latencyMs: { p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max: (ok.at(-1) ?? Number.NaN) / 1000 },
    // Answers slower than a connection's interval: the next request on that connection waited.
    overInterval: ok.filter((us) => us > perConnectionIntervalMs * 1000).length,
    longestSendGapMs: longestSendGapUs / 1000,
    samplesUs: ok,
    // For lining latencies up with events in the proxy (wall-clock µs): only when asked.
    ...(withRequests ? { requests: measured } : {}),
  };
}

function gcd(a, b) {
  return b === 0 ? a : gcd(b, a % b);
}
