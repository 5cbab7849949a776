#!/usr/bin/env node
/**
 * Realtime hub fan-out: one publish to C WebSocket clients (default 10,000), the time until the
 * LAST client has it, side by side with the floor in one run.
 * - Portico: `portico start` (the built CLI, embedded defaults: PGlite store, embedded bus). C
 *   clients of one tenant, each authenticated with `?token=` and subscribed to one channel; each
 *   publish is `POST /v1/bus/messages` on the admin port (topic `realtime.publish`, durable in the
 *   store), which the hub's bus feed fetches and writes to every subscriber.
 * - bare ws: a `ws` WebSocketServer (bench/servers/ws-broadcast.mjs) that broadcasts each
 *   `POST /publish` to every client: no auth, no bus, no durability. The floor.
 * The clients run in P child processes (bench/lib/hub-clients.mjs, default 2), so the client side
 * does not share the hub's event loop; with taskset the server is on core 1 and the clients on
 * core 0. For each publish: from just before the POST to the first and to the last client
 * receiving it (clocks: performance.timeOrigin + now, one machine). Both contenders hold their
 * clients at once and publish in turn, K times each (default 40), the order swapped every time;
 * each publish waits until every client has it, then 100 ms. 3 warm-up publishes each first.
 * RSS of the server process (VmRSS) before the clients connect, after, and after the publishes.
 *   node bench/hub-fanout.mjs [C] [K] [--cpu-prof] [--before <other dist/cli/main.js>]   (needs `npx tsc -b`)
 * --cpu-prof: Portico runs under `node --cpu-prof`; the profile goes to bench/.work/hub-profile/.
 * Exit 1 when a contender fails, a client misses a message, or the run passes its watchdog.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PORTICO_CLI, startPortico } from './lib/portico.mjs';
import {
  canPin,
  LOAD_CORE,
  PROXY_CORE,
  rssMiB,
  sleep,
  startProcess,
  stopAll,
  stopEverythingOnExit,
  stopProcess,
  waitForLine,
} from './lib/processes.mjs';
import { percentile } from './lib/stats.mjs';

const args = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--before');
const CLIENTS = Number(args[0] ?? 10_000);
const PUBLISHES = Number(args[1] ?? 40);
const PROCESSES = Number(process.env.BENCH_HUB_CLIENT_PROCESSES ?? 2);
const WARMUP = 3;
const GAP_MS = 100;
const PER_PUBLISH_TIMEOUT_MS = 15_000;
const WATCHDOG_MS = 240_000;
const PASSWORD = 'hub-fanout-bench-password';
const cpuProf = process.argv.includes('--cpu-prof');
/** `--before <cli>`: a third contender, Portico from another build (e.g. before a change). */
const before = process.argv.includes('--before')
  ? resolve(process.argv[process.argv.indexOf('--before') + 1])
  : undefined;
const WORK_DIR = fileURLToPath(new URL('./.work', import.meta.url));
const CLIENT_FILE = fileURLToPath(new URL('./lib/hub-clients.mjs', import.meta.url));
const PEER_FILE = fileURLToPath(new URL('./servers/ws-broadcast.mjs', import.meta.url));
const log = (line) => process.stdout.write(`${line}\n`);
const now = () => performance.timeOrigin + performance.now();
const started = performance.now();

stopEverythingOnExit();
const watchdog = setTimeout(() => {
  process.stderr.write('bench/hub-fanout: over the time limit, stopping\n');
  stopAll().finally(() => process.exit(1));
}, WATCHDOG_MS);
watchdog.unref();

/** Each process holds one descriptor per socket: the hub C, each client process C / P. */
function checkDescriptors() {
  const limit = Number(spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim());
  const needed = CLIENTS + 512;
  if (Number.isFinite(limit) && limit < needed) {
    throw new Error(
      `ulimit -n is ${limit}: the hub needs one descriptor per client (${CLIENTS}) plus its own; ` +
        `raise it (ulimit -n ${needed}) or pass fewer clients`,
    );
  }
  return limit;
}

async function json(url, body, token) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${url} answered ${response.status}: ${text}`);
  return JSON.parse(text);
}

/** Portico with a tenant `acme`, one user's token for the clients, and the admin's for publishing. */
async function porticoContender(name = 'Portico hub (bus publish over HTTP → embedded bus → hub)', cli = PORTICO_CLI) {
  const nodeArgs = cpuProf ? ['--cpu-prof', '--cpu-prof-dir', join(WORK_DIR, 'hub-profile')] : [];
  const portico = await startPortico({
    workDir: WORK_DIR,
    core: PROXY_CORE,
    nodeArgs,
    extraEnv: { PORTICO_ADMIN_PASSWORD: PASSWORD },
    cli,
    name,
  });
  const login = (tenant, username, password) =>
    json(`${portico.publicUrl}/auth/login`, { tenant, username, password }).then((r) => r.data.accessToken);
  const admin = await login('platform', 'admin', PASSWORD);
  await json(`${portico.adminUrl}/v1/admin/tenants`, { name: 'acme', displayName: 'Acme', enabledServices: [] }, admin);
  await json(`${portico.adminUrl}/v1/admin/tenants/acme/users`, { username: 'u', password: 'bench-user-pw-1' }, admin);
  const user = await login('acme', 'u', 'bench-user-pw-1');
  return {
    name,
    handle: portico.handle,
    clientUrl: `${portico.publicUrl.replace('http', 'ws')}/ws?token=${user}`,
    mode: 'portico',
    publish: (seq) =>
      json(
        `${portico.adminUrl}/v1/bus/messages`,
        {
          type: 'realtime.publish',
          tenantId: 'acme',
          data: { channel: 'fanout', data: { seq, pad: 'x'.repeat(100) } },
        },
        admin,
      ),
  };
}

async function bareContender() {
  const handle = startProcess('ws-broadcast', process.execPath, [PEER_FILE], { core: PROXY_CORE });
  const port = await waitForLine(handle, (line) => JSON.parse(line).listening, 10_000);
  return {
    name: 'bare ws WebSocketServer (POST → broadcast; the floor)',
    handle,
    clientUrl: `ws://127.0.0.1:${port}/`,
    mode: 'bare',
    publish: (seq) => json(`http://127.0.0.1:${port}/publish`, { id: `m${seq}`, data: { seq, pad: 'x'.repeat(100) } }),
  };
}

/** Starts the contender's client processes and waits until every client is subscribed. */
async function connect(contender) {
  contender.rssBefore = rssMiB(contender.handle.pid);
  const t = performance.now();
  contender.reports = new Map();
  contender.children = [];
  for (let p = 0; p < PROCESSES; p++) {
    const count = Math.floor(CLIENTS / PROCESSES) + (p < CLIENTS % PROCESSES ? 1 : 0);
    const file = [CLIENT_FILE, contender.clientUrl, String(count), contender.mode];
    const child = startProcess(`${contender.mode}-clients-${p}`, process.execPath, file, { core: LOAD_CORE });
    child.lineListeners.add((line) => {
      const report = JSON.parse(line);
      if (report.seq === undefined) return;
      const list = contender.reports.get(report.seq) ?? [];
      list.push(report);
      contender.reports.set(report.seq, list);
    });
    contender.children.push(child);
  }
  const isReady = (line) => {
    const report = JSON.parse(line);
    return report.ready === undefined ? undefined : report;
  };
  const ready = await Promise.all(contender.children.map((child) => waitForLine(child, isReady, 120_000)));
  contender.connected = ready.reduce((n, r) => n + r.ready, 0);
  contender.connectSeconds = (performance.now() - t) / 1000;
  log(`  ${contender.name}: ${contender.connected} clients subscribed in ${contender.connectSeconds.toFixed(1)} s`);
  if (contender.connected < CLIENTS)
    throw new Error(`${CLIENTS - contender.connected} clients could not connect or subscribe`);
  contender.samples = [];
  contender.missed = 0;
}

/** One publish of `seq`, timed until every client process reported it (or the timeout). */
async function publishOne(contender, seq, counted) {
  const t0 = now();
  const post = contender.publish(seq).then(() => now() - t0);
  const deadline = performance.now() + PER_PUBLISH_TIMEOUT_MS;
  while ((contender.reports.get(seq)?.length ?? 0) < PROCESSES && performance.now() < deadline) await sleep(2);
  const postMs = await post;
  const list = contender.reports.get(seq) ?? [];
  if (list.length < PROCESSES || list.some((r) => r.incomplete !== undefined)) {
    contender.missed++;
    log(`  ${contender.name} seq ${seq}: not every client had it within ${PER_PUBLISH_TIMEOUT_MS / 1000} s`);
  } else if (counted) {
    const first = Math.min(...list.map((r) => r.first)) - t0;
    const last = Math.max(...list.map((r) => r.last)) - t0;
    contender.samples.push({ first, last, postMs });
  }
}

function figures(c) {
  const pick = (key, p) =>
    percentile(
      c.samples.map((s) => s[key]),
      p,
    );
  return {
    name: c.name,
    connected: c.connected,
    connectSeconds: c.connectSeconds,
    missed: c.missed,
    samples: c.samples.length,
    lastP50: pick('last', 50),
    lastP99: pick('last', 99),
    firstP50: pick('first', 50),
    spreadP50: percentile(
      c.samples.map((s) => s.last - s.first),
      50,
    ),
    postP50: pick('postMs', 50),
    rssBefore: c.rssBefore,
    rssConnected: c.rssConnected,
    rssAfter: c.rssAfter,
  };
}

const ms = (x) => (Number.isFinite(x) ? x.toFixed(1) : '—');
const mib = (x) => (x === undefined ? '—' : x.toFixed(0));
function table(results) {
  const rows = results.map((r) =>
    r.error
      ? `| ${r.name} | **failed**: ${r.error} | | | | | | | |`
      : `| ${r.name} | ${r.connected.toLocaleString('en-US')} in ${r.connectSeconds.toFixed(1)} s | ${ms(r.lastP50)} | **${ms(r.lastP99)}** | ${ms(r.firstP50)} | ${ms(r.spreadP50)} | ${ms(r.postP50)} | ${mib(r.rssBefore)} → ${mib(r.rssConnected)} → ${mib(r.rssAfter)} | ${r.samples}${r.missed ? `, **${r.missed} missed**` : ''} |`,
  );
  return [
    '| contender | clients subscribed | to last client p50 ms | p99 ms | to first client p50 ms | first → last p50 ms | POST answered p50 ms | server RSS MiB: before → connected → after | publishes |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

const results = [];
try {
  if (!existsSync(PORTICO_CLI)) throw new Error(`${PORTICO_CLI} is missing: run npx tsc -b first`);
  const limit = checkDescriptors();
  mkdirSync(WORK_DIR, { recursive: true });
  log(
    `bench/hub-fanout: ${CLIENTS.toLocaleString('en-US')} clients in ${PROCESSES} processes, ${PUBLISHES} publishes (+${WARMUP} warm-up, ${GAP_MS} ms apart), ulimit -n ${limit}, ${canPin ? 'server on core 1, clients on core 0 (taskset)' : 'not pinned'}; load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const contenders = [await porticoContender(), await bareContender()];
  if (before) contenders.push(await porticoContender(`Portico hub, other build (${before})`, before));
  await sleep(1_000);
  for (const contender of contenders) await connect(contender);
  await sleep(2_000);
  for (const contender of contenders) contender.rssConnected = rssMiB(contender.handle.pid);
  // Interleaved publish by publish, the order swapped each time, so a busy moment on the
  // machine falls on both alike.
  for (let seq = 1; seq <= WARMUP + PUBLISHES; seq++) {
    for (const contender of seq % 2 ? contenders : [...contenders].reverse()) {
      await publishOne(contender, seq, seq > WARMUP);
      await sleep(GAP_MS);
    }
  }
  for (const contender of contenders) {
    contender.rssAfter = rssMiB(contender.handle.pid);
    results.push(figures(contender));
  }
  // Clients first, then the servers, with time to write a CPU profile (--cpu-prof) on the way out.
  for (const contender of contenders) for (const child of contender.children) await stopProcess(child);
  for (const contender of contenders) await stopProcess(contender.handle, 15_000);
  for (const r of results) if (r.missed) process.exitCode = 1;
  log(`\n${table(results)}\n`);
  const [portico, bare, other] = results;
  if (portico?.lastP50 && other?.lastP50) {
    log(
      `- this build / the other build: to the last client p50 ${(portico.lastP50 / other.lastP50).toFixed(2)}×, p99 ${(portico.lastP99 / other.lastP99).toFixed(2)}×; first → last p50 ${(portico.spreadP50 / other.spreadP50).toFixed(2)}× (lower is better)`,
    );
  }
  if (portico?.lastP99 && bare?.lastP99) {
    log(
      `- Portico / bare ws, time to the last client: p50 ${(portico.lastP50 / bare.lastP50).toFixed(2)}×, p99 ${(portico.lastP99 / bare.lastP99).toFixed(2)}× (lower is better); first → last (the fan-out alone) p50 ${(portico.spreadP50 / bare.spreadP50).toFixed(2)}×`,
    );
    log(
      `- Target (issue 16): p99 ≤ 100 ms to the last of ${CLIENTS.toLocaleString('en-US')} clients: ${portico.lastP99 <= 100 ? 'met' : '**not met**'} (${ms(portico.lastP99)} ms)`,
    );
  }
  log(
    `\nwall ${((performance.now() - started) / 1000).toFixed(0)} s; load at end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
} catch (error) {
  process.stderr.write(`bench/hub-fanout: ${error.stack ?? error.message}\n`);
  process.exitCode = 1;
} finally {
  await stopAll();
  clearTimeout(watchdog);
}
process.exit();
