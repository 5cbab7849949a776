// The machine may be shared (other builds and test runs): pinning keeps the bench's processes
// apart but cannot keep others off its cores. Before each measured run we wait, briefly and
// within a budget, for the cores to be quiet, so fewer runs carry someone else's load.
import { coreTimes, sleep } from './processes.mjs';

/**
 * @param {object} options
 * @param {number} options.busyPercent   a core busier than this (with our load stopped) is "not quiet"
 * @param {number} options.maxWaitMs     longest wait before one run
 * @param {number} options.budgetMs      longest total wait over the whole bench
 */
export function createQuietGate({ busyPercent = 15, maxWaitMs = 5_000, budgetMs = 45_000 } = {}) {
  const gate = {
    waitedMs: 0,
    /** Resolves when every core was quiet for 250 ms, or the wait or budget ran out. */
    async wait() {
      const started = Date.now();
      for (;;) {
        const busiest = await busiestCorePercent(250);
        const waited = Date.now() - started;
        if (busiest <= busyPercent || waited >= maxWaitMs || gate.waitedMs + waited >= budgetMs) {
          gate.waitedMs += waited;
          return busiest;
        }
      }
    },
  };
  return gate;
}

async function busiestCorePercent(windowMs) {
  const before = coreTimes();
  await sleep(windowMs);
  const after = coreTimes();
  let busiest = 0;
  for (const core of Object.keys(after)) {
    const total = after[core].total - before[core].total;
    if (total > 0) busiest = Math.max(busiest, ((after[core].busy - before[core].busy) / total) * 100);
  }
  return busiest;
}
