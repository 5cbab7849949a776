// Preloaded into Portico by bench/allocations.mjs (`node --import ./allocation-probe.mjs ...`):
// the first SIGUSR2 starts V8's sampling heap profiler with garbage included (objects a
// scavenge or mark-compact collected are kept in the samples, so it counts what was allocated,
// not what is still alive); the second stops it and writes the profile to ALLOCATION_PROFILE.
// Prints `allocation-probe started` / `allocation-probe written` on stdout. Bench-only: nothing
// in Portico loads it, and it costs nothing until the first signal.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const session = new Session();
session.connect();
const post = (method, params) =>
  new Promise((resolve, reject) =>
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
  );
let sampling = false;

process.on('SIGUSR2', async () => {
  if (!sampling) {
    sampling = true;
    await post('HeapProfiler.startSampling', {
      samplingInterval: 1024,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    process.stdout.write('allocation-probe started\n');
    return;
  }
  const { profile } = await post('HeapProfiler.stopSampling');
  writeFileSync(process.env.ALLOCATION_PROFILE, JSON.stringify(profile));
  process.stdout.write('allocation-probe written\n');
});
