// Every process the bench starts goes through here, so that one place knows every PID and can
// stop them all: at the end, on an error, on Ctrl-C, and when the watchdog fires.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

/** Cores by role: the proxy under test gets one core to itself; the rest share the other. */
export const PROXY_CORE = 1;
export const LOAD_CORE = 0;

/** Whether `taskset` can pin here (a container may forbid setting affinity). */
export const canPin = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' }).status === 0;

const running = new Map();
const TAIL_LINES = 40;

/**
 * Starts a long-running process, pinned to `core` when taskset works. taskset execs the
 * command, so the PID we hold is the program's own (what RSS and CPU are read from).
 * stdout and stderr are always drained: a full pipe would block the child mid-benchmark.
 */
export function startProcess(name, command, args, { core, env = process.env, cwd } = {}) {
  const [file, argv] = pinned(command, args, core);
  const child = spawn(file, argv, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = [];
  const lineListeners = new Set();
  const remember = (line) => {
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
  };
  createInterface({ input: child.stdout }).on('line', (line) => {
    remember(line);
    for (const listener of lineListeners) listener(line);
  });
  createInterface({ input: child.stderr }).on('line', remember);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const handle = { name, child, pid: child.pid, exited, tail, lineListeners };
  child.once('error', (error) => remember(`spawn error: ${error.message}`));
  running.set(handle.pid, handle);
  exited.then(() => running.delete(handle.pid));
  return handle;
}

/**
 * Runs a command to completion (a load generator run), bounded by `timeoutMs`. It is tracked
 * like a server, so Ctrl-C in the middle of a 10-second run stops it too.
 */
export async function runToCompletion(name, command, args, { core, timeoutMs, env } = {}) {
  const [file, argv] = pinned(command, args, core);
  const child = spawn(file, argv, { env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const handle = { name, child, pid: child.pid, tail: [] };
  running.set(child.pid, handle);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const result = await new Promise((resolve) => {
    child.once('error', (error) => resolve({ code: -1, signal: null, spawnError: error }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  clearTimeout(timer);
  running.delete(child.pid);
  if (result.spawnError) throw new Error(`${name}: cannot start ${command}: ${result.spawnError.message}`);
  if (result.code !== 0) {
    const output = `${stderr}\n${stdout}`.trim().split('\n').slice(-20).join('\n');
    throw new Error(`${name} failed (code ${result.code}, signal ${result.signal}):\n${output}`);
  }
  return { stdout, stderr };
}

/** SIGTERM, then SIGKILL if the process has not exited within `graceMs`. */
export async function stopProcess(handle, graceMs = 5_000) {
  if (handle.child.exitCode !== null || handle.child.signalCode !== null) return;
  handle.child.kill('SIGTERM');
  const exitedInTime = await Promise.race([
    handle.exited?.then(() => true) ?? new Promise((resolve) => handle.child.once('exit', () => resolve(true))),
    sleep(graceMs).then(() => false),
  ]);
  if (!exitedInTime) {
    handle.child.kill('SIGKILL');
    await Promise.race([new Promise((resolve) => handle.child.once('exit', resolve)), sleep(2_000)]);
  }
}

/** Stops every process still running, each by its own PID. */
export async function stopAll() {
  await Promise.all([...running.values()].map((handle) => stopProcess(handle)));
}

/**
 * Ctrl-C (and SIGTERM) stop every child before the harness exits; the `exit` hook is the last
 * resort for a crash path that skipped the finally blocks.
 */
export function stopEverythingOnExit() {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`\nbench: ${signal}, stopping ${running.size} process(es)\n`);
      stopAll().finally(() => process.exit(130));
    });
  }
  process.on('exit', () => {
    for (const handle of running.values()) handle.child.kill('SIGKILL');
  });
}

/** Resolves with the first stdout line `match` accepts; rejects on exit or after `timeoutMs`. */
export function waitForLine(handle, match, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`${handle.name}: no start-up line in ${timeoutMs} ms`)), timeoutMs);
    const onExit = ({ code, signal }) =>
      finish(new Error(`${handle.name} exited (${code ?? signal}): ${handle.tail.join('\n')}`));
    handle.exited.then(onExit);
    const onLine = (line) => {
      const value = match(line);
      if (value !== undefined) finish(undefined, value);
    };
    handle.lineListeners.add(onLine);
    function finish(error, value) {
      clearTimeout(timer);
      handle.lineListeners.delete(onLine);
      if (error) reject(error);
      else resolve(value);
    }
  });
}

/** A port that was free a moment ago; for programs that cannot report the port they bound. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resident set size of a process in MiB, from /proc (undefined once it has exited). */
export function rssMiB(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1]);
    return kib / 1024;
  } catch {
    return undefined;
  }
}

/**
 * Follows a process's RSS from now on, one sample a second, and `settled(afterMs)` reports it
 * once `afterMs` have passed since the start: the first sample (1 s in) and the last. Why wait:
 * a burst of work (10,000 registrations arriving at once) grows V8's young generation, and V8
 * gives those pages back only when its memory reducer runs, some 8 to 30 s after the heap goes
 * quiet. A read 1 s after the burst is mostly that transient; the settled one is what the
 * process holds while it waits for traffic. Both are reported.
 */
export function followRss(pid) {
  const started = performance.now();
  const samples = [];
  const timer = setInterval(() => {
    const sample = rssMiB(pid);
    if (sample !== undefined) samples.push(sample);
  }, 1_000);
  timer.unref();
  return {
    async settled(afterMs) {
      const left = afterMs - (performance.now() - started);
      if (left > 0) await sleep(left);
      clearInterval(timer);
      const last = rssMiB(pid) ?? samples.at(-1);
      return { firstMiB: samples[0] ?? last, settledMiB: last, afterSeconds: (performance.now() - started) / 1000 };
    },
  };
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the numeric fields start after its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Busy and total jiffies per core from /proc/stat, to tell how loaded each core was. */
export function coreTimes() {
  const cores = {};
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const match = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const values = match[2].split(' ').map(Number);
    const idle = values[3] + values[4];
    const total = values.reduce((sum, value) => sum + value, 0);
    cores[match[1]] = { busy: total - idle, total };
  }
  return cores;
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function pinned(command, args, core) {
  if (core === undefined || !canPin) return [command, args];
  return ['taskset', ['-c', String(core), command, ...args]];
}
