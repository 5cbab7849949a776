// Preloaded into a process under measurement (`node --import ./memory-probe.mjs ...`) by
// bench/gateway-rss.mjs --breakdown: on SIGUSR2 it prints one line, `memory-probe {json}`, on
// stdout with where the process's memory is (RSS, V8 heap spaces, external buffers, the kernel's
// view); with PROBE_MODULES=1, every script V8 has compiled; with PROBE_SNAPSHOT_DIR, a heap
// snapshot written there. Bench-only: nothing in Portico
// loads it, and it costs nothing until the signal arrives.
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import v8 from 'node:v8';

const MiB = 1024 * 1024;
const round = (bytes) => Math.round((bytes / MiB) * 10) / 10;

process.on('SIGUSR2', async () => {
  const usage = process.memoryUsage();
  const spaces = Object.fromEntries(
    v8
      .getHeapSpaceStatistics()
      .map((space) => [
        space.space_name,
        { used: round(space.space_used_size), committed: round(space.physical_space_size) },
      ]),
  );
  const heap = v8.getHeapStatistics();
  const report = {
    rssMiB: round(usage.rss),
    heapTotalMiB: round(usage.heapTotal),
    heapUsedMiB: round(usage.heapUsed),
    externalMiB: round(usage.external),
    arrayBuffersMiB: round(usage.arrayBuffers),
    mallocedMiB: round(heap.malloced_memory),
    codeAndMetadataMiB: round(heap.total_heap_code_and_metadata_size ?? 0),
    spacesMiB: spaces,
    smapsRollup: kernelView(),
  };
  // Live data only, once everything above is read: needs --expose-gc, which the bench passes.
  if (typeof globalThis.gc === 'function') {
    globalThis.gc();
    report.liveHeapMiB = round(process.memoryUsage().heapUsed);
  }
  if (process.env.PROBE_MODULES === '1') report.scripts = await compiledScripts();
  if (process.env.PROBE_SNAPSHOT_DIR) {
    report.snapshot = v8.writeHeapSnapshot(join(process.env.PROBE_SNAPSHOT_DIR, `gateway-${Date.now()}.heapsnapshot`));
  }
  process.stdout.write(`memory-probe ${JSON.stringify(report)}\n`);
});

/** Anonymous (heap, malloc) against file-backed (the node binary, shared libraries) resident memory. */
function kernelView() {
  try {
    const text = readFileSync('/proc/self/smaps_rollup', 'utf8');
    const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0) / 1024;
    return {
      rssMiB: field('Rss'),
      anonymousMiB: field('Anonymous'),
      privateDirtyMiB: field('Private_Dirty'),
      residentByFileMiB: residentByFile(),
    };
  } catch {
    return undefined;
  }
}

/** Resident memory of each mapped file (the node binary, shared libraries, addons), largest first. */
function residentByFile() {
  const byFile = new Map();
  let file;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (mapping) file = mapping[1].startsWith('/') ? mapping[1] : undefined;
    else if (file && line.startsWith('Rss:'))
      byFile.set(file, (byFile.get(file) ?? 0) + Number(line.split(/\s+/)[1]) / 1024);
  }
  return Object.fromEntries(
    [...byFile]
      .filter(([, mib]) => mib >= 0.1)
      .sort((a, b) => b[1] - a[1])
      .map(([path, mib]) => [path.split('/').slice(-2).join('/'), Math.round(mib * 10) / 10]),
  );
}

/** Every script compiled so far, as the debugger reports them on enabling. */
async function compiledScripts() {
  const session = new Session();
  session.connect();
  const urls = [];
  session.on('Debugger.scriptParsed', ({ params }) => {
    if (params.url) urls.push(params.url);
  });
  await new Promise((resolve) => session.post('Debugger.enable', resolve));
  await new Promise((resolve) => session.post('Debugger.disable', resolve));
  session.disconnect();
  return urls;
}
