// Where Portico's time goes on the hot path: runs the bare proxy under wrk with
// `node --cpu-prof`, then ranks the profile's frames by self time, by inclusive time, and by
// where the code lives (Node's HTTP, undici, find-my-way, Portico, GC). Writes bench/PROFILE.md.
// Same placement as the bench: Portico alone on core 1; wrk and the upstream on core 0.
// Usage: node bench/profile-portico.mjs [seconds=10] [--chain]   (build first: npm run build)
//   --chain   profiles the full policy chain contender (bench/lib/full-chain.mjs) instead
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBenchUpstream, startRoutedPortico } from './lib/bare-proxy.mjs';
import { startFullChainPortico } from './lib/full-chain.mjs';
import { wrk } from './lib/load.mjs';
import { stopAll, stopEverythingOnExit, stopProcess } from './lib/processes.mjs';
import { UPSTREAM_BODY } from './lib/upstream.mjs';
import { probe } from './lib/verify.mjs';

const chain = process.argv.includes('--chain');
const seconds = Number(process.argv.slice(2).find((arg) => !arg.startsWith('--')) ?? 10);
const WORK_DIR = fileURLToPath(new URL('./.work/profile', import.meta.url));
const PROFILE_DIR = join(WORK_DIR, 'cpu');
const OUTPUT = fileURLToPath(new URL('./PROFILE.md', import.meta.url));
const TOP = 25;

stopEverythingOnExit();
rmSync(WORK_DIR, { recursive: true, force: true });
mkdirSync(PROFILE_DIR, { recursive: true });
try {
  const upstreamPort = await startBenchUpstream(WORK_DIR);
  const nodeArgs = ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`];
  const { portico, url, headers } = chain
    ? await startFullChainPortico({ workDir: WORK_DIR, upstream: { port: upstreamPort }, nodeArgs }).then(
        (started) => ({ ...started, portico: { handle: started.handle } }),
      )
    : await startRoutedPortico(WORK_DIR, upstreamPort, { nodeArgs });
  const problem = await probe(url, UPSTREAM_BODY, 20, headers);
  if (problem) throw new Error(`Portico does not proxy: ${problem}`);
  // Start-up and warm-up are in the profile too; a long measured run keeps them a small share.
  await wrk.run({ url, connections: 50, seconds: 2, headers });
  // Same clock as the profile's timestamps (CLOCK_MONOTONIC, µs): only the measured run counts.
  const window = { from: Number(process.hrtime.bigint() / 1000n) };
  const result = await wrk.run({ url, connections: 50, seconds, headers });
  window.to = Number(process.hrtime.bigint() / 1000n);
  // The profile is written when the process exits normally, which SIGTERM leads to.
  await stopProcess(portico.handle, 15_000);
  const file = readdirSync(PROFILE_DIR).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error('Portico wrote no .cpuprofile');
  const markdown = summarize(JSON.parse(readFileSync(join(PROFILE_DIR, file), 'utf8')), result, seconds, window);
  writeFileSync(OUTPUT, markdown);
  process.stdout.write(`${markdown}\nwrote ${OUTPUT} (raw profile: ${join(PROFILE_DIR, file)})\n`);
} catch (error) {
  process.stderr.write(`profile: ${error.stack ?? error.message}\n`);
  process.exitCode = 1;
} finally {
  await stopAll();
}

function summarize(profile, load, measuredSeconds, window) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map();
  // timeDeltas[i] is the time before sample i; it belongs to the frame sampled at i.
  let at = profile.startTime;
  let inWindow = 0;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at < window.from || at > window.to) return;
    inWindow++;
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  // Were the clocks not shared after all, fall back to the whole life of the process.
  const scope = inWindow > 0 ? 'the samples taken during the measured run' : 'all samples (start-up included)';
  if (inWindow === 0) {
    profile.samples.forEach((id, i) => {
      selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
    });
  }
  const total = [...selfMicros.values()].reduce((a, b) => a + b, 0);
  const idle = [...selfMicros.entries()]
    .filter(([id]) => byId.get(id).callFrame.functionName === '(idle)')
    .reduce((sum, [, micros]) => sum + micros, 0);
  const busy = total - idle;

  const self = new Map();
  const inclusive = new Map();
  const areas = new Map();
  const add = (map, key, micros) => map.set(key, (map.get(key) ?? 0) + micros);
  const visit = (node, ancestors) => {
    const key = frameKey(node.callFrame);
    const own = selfMicros.get(node.id) ?? 0;
    add(self, key, own);
    add(areas, areaOf(node.callFrame), own);
    let sum = own;
    const path = new Set(ancestors).add(key);
    for (const childId of node.children ?? []) sum += visit(byId.get(childId), path);
    // A recursive function counts once per stack, not once per frame.
    if (!ancestors.has(key)) add(inclusive, key, sum);
    return sum;
  };
  visit(profile.nodes[0], new Set());

  const percent = (micros) => `${((micros / busy) * 100).toFixed(1)}%`;
  const ranked = (map, n) =>
    [...map.entries()]
      .filter(([key]) => !['(idle)', '(root)', '(program)'].some((skip) => key.startsWith(skip)))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n);
  const reqPerSec = load.requests / load.seconds;
  return `# Portico CPU profile (bare proxy)

Written by \`node bench/profile-portico.mjs ${measuredSeconds}\` on ${new Date().toISOString()}: Portico under
\`node --cpu-prof\` on core 1, wrk (50 connections) and an nginx upstream on core 0. Under the
profiler it served ${reqPerSec.toFixed(0)} req/s for ${measuredSeconds} s (the profiler costs some), its main
thread busy ${((busy / total) * 100).toFixed(0)}% of the time: ${((busy / total / reqPerSec) * 1e6).toFixed(0)} µs of main-thread time per request.
Percentages are of the busy (non-idle) time in ${scope}.
"Native" frames are C++ bindings: \`writev\` and \`writeLatin1String\` are socket writes (the
syscalls themselves), the wasm frames are undici's llhttp response parser.

## By area (self time)

| area | share |
| --- | ---: |
${[...areas.entries()]
  .filter(([area]) => area !== 'idle')
  .sort((a, b) => b[1] - a[1])
  .map(([area, micros]) => `| ${area} | ${percent(micros)} |`)
  .join('\n')}

## Top ${TOP} frames by self time

| frame | self |
| --- | ---: |
${ranked(self, TOP)
  .map(([key, micros]) => `| \`${key}\` | ${percent(micros)} |`)
  .join('\n')}

## Top ${TOP} frames by inclusive time

| frame | inclusive |
| --- | ---: |
${ranked(inclusive, TOP)
  .map(([key, micros]) => `| \`${key}\` | ${percent(micros)} |`)
  .join('\n')}
`;
}

function frameKey({ functionName, url, lineNumber }) {
  const file = url.replace(/^file:\/\/.*\/node_modules\//, '').replace(/^file:\/\/.*\/packages\//, 'packages/');
  return `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
}

function areaOf({ functionName, url }) {
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (functionName === '(program)') return 'V8/native (program)';
  if (url.includes('/packages/portico/')) return 'Portico';
  if (url.startsWith('wasm://')) return 'undici (llhttp wasm parser)';
  if (url.includes('/node_modules/undici/')) return 'undici (upstream client)';
  if (url.includes('/node_modules/find-my-way/')) return 'find-my-way (router)';
  if (url.includes('/node_modules/')) return 'other dependencies (admin API: fastify, ajv, pino, …)';
  if (/^node:(_http|http)/.test(url)) return 'node:http (server side)';
  if (/^node:(net|internal\/stream_base|internal\/net)/.test(url)) return 'node:net (sockets)';
  if (url.startsWith('node:internal/streams') || url.startsWith('node:stream')) return 'node streams';
  if (url.startsWith('node:')) return 'other Node internals';
  return url === '' ? 'native bindings (socket writes, timers)' : `other (${url})`;
}
