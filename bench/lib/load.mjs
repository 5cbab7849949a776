// Closed-loop load generators (keep-alive connections, fixed duration), behind one result
// shape so the harness can use whichever loads a one-core proxy harder on this machine; and the
// open-loop fixed-rate client.
import { fileURLToPath } from 'node:url';
import { h2loadFixedRate, hasH2load } from './h2load.mjs';
import { LOAD_CORE, runToCompletion } from './processes.mjs';

const WRK_SCRIPT = fileURLToPath(new URL('../wrk-report.lua', import.meta.url));
const AUTOCANNON = fileURLToPath(new URL('../../node_modules/autocannon/autocannon.js', import.meta.url));

/**
 * @typedef {object} LoadResult
 * @property {number} requests     responses received
 * @property {number} seconds      measured duration
 * @property {number} bytes        response bytes received (headers included for wrk)
 * @property {number} errors       connect/read/write errors, timeouts and non-2xx answers
 * @property {string} errorDetail  what the errors were, for the report
 * @property {{p50: number, p99: number, max: number}} latencyMs
 */

/** wrk, one thread: the proxy has one core and so does the generator, so more threads only add switching. */
export const wrk = {
  name: 'wrk',
  async run({ url, connections, seconds, core = LOAD_CORE, headers = {} }) {
    const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '2s', '-s', WRK_SCRIPT];
    for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
    args.push(url);
    const { stdout } = await runToCompletion('wrk', 'wrk', args, { core, timeoutMs: (seconds + 15) * 1000 });
    const line = stdout.split('\n').find((l) => l.startsWith('WRK_JSON '));
    if (!line) throw new Error(`wrk printed no summary: ${stdout}`);
    const s = JSON.parse(line.slice('WRK_JSON '.length));
    const errors = s.errors.connect + s.errors.read + s.errors.write + s.errors.status + s.errors.timeout;
    return {
      requests: s.requests,
      seconds: s.durationUs / 1e6,
      bytes: s.bytes,
      errors,
      errorDetail: errors === 0 ? '' : describeErrors(s.errors),
      latencyMs: { p50: s.latencyUs.p50 / 1000, p99: s.latencyUs.p99 / 1000, max: s.latencyUs.max / 1000 },
    };
  },
};

/** autocannon's CLI (one Node process; workers would only share the same core). */
export const autocannon = {
  name: 'autocannon',
  async run({ url, connections, seconds, core = LOAD_CORE, headers = {} }) {
    const args = [AUTOCANNON, '-c', String(connections), '-d', String(seconds), '--json'];
    for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}=${value}`);
    args.push(url);
    const { stdout } = await runToCompletion('autocannon', process.execPath, args, {
      core,
      timeoutMs: (seconds + 15) * 1000,
    });
    const s = JSON.parse(stdout.trim().split('\n').at(-1));
    const errors = s.errors + s.timeouts + s.non2xx;
    return {
      requests: s.requests.total,
      seconds: s.duration,
      bytes: s.throughput.total,
      errors,
      errorDetail: errors === 0 ? '' : describeErrors({ errors: s.errors, timeouts: s.timeouts, 'non-2xx': s.non2xx }),
      // autocannon records whole milliseconds: fine for ranking generators, too coarse for p99.
      latencyMs: { p50: s.latency.p50, p99: s.latency.p99, max: s.latency.max },
    };
  },
};

export const GENERATORS = [wrk, autocannon];

function describeErrors(counts) {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${kind}`)
    .join(', ');
}

const FIXED_RATE_CLIENT = fileURLToPath(new URL('./fixed-rate-client.mjs', import.meta.url));

/** Which client times the fixed-rate runs: h2load when installed (see h2load.mjs), else the Node client. */
export const fixedRateClientName = () => (hasH2load() ? 'h2load' : 'node');

/**
 * Open-loop latency at `rate` req/s, client on the load core: h2load (h2load.mjs), or where it
 * is missing the Node client (fixed-rate-client.mjs, `connections` keep-alive connections).
 */
export async function fixedRate({ url, rate, seconds, warmupSeconds, connections, expectedBody, headers = {} }) {
  if (hasH2load()) return h2loadFixedRate({ url, rate, seconds, warmupSeconds, expectedBody, headers });
  return nodeFixedRate({ url, rate, seconds, warmupSeconds, connections, expectedBody, headers });
}

/** The Node client alone (fixed-rate-client.mjs): the fallback, and the comparison in fixed-rate.mjs. */
export async function nodeFixedRate({ url, rate, seconds, warmupSeconds, connections, expectedBody, headers = {} }) {
  const options = JSON.stringify({ url, rate, seconds, warmupSeconds, connections, expectedBody, headers });
  const { stdout } = await runToCompletion('fixed-rate client', process.execPath, [FIXED_RATE_CLIENT, options], {
    core: LOAD_CORE,
    timeoutMs: (seconds + warmupSeconds + 30) * 1000,
  });
  return { client: 'node', connections, ...JSON.parse(stdout.trim().split('\n').at(-1)) };
}
