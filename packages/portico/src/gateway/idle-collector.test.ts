import { getHeapStatistics } from 'node:v8';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type IdleCollector, startIdleCollector } from './idle-collector.js';

const MiB = 1024 * 1024;
const TICK = 2_000;

/** A process under the collector's eye: work, requests in flight and a heap the test sets. */
function fakeProcess(options: { shrinksTo?: number } = {}) {
  const state = { activity: 0, inFlight: 0, heap: 50 * MiB, collected: 0, shrinks: true };
  const collector = startIdleCollector({
    activity: () => state.activity,
    inFlight: () => state.inFlight,
    heapBytes: () => state.heap,
    collect: () => {
      state.collected++;
      if (state.shrinks) state.heap = options.shrinksTo ?? 20 * MiB;
    },
  });
  return { state, collector };
}

describe('startIdleCollector', () => {
  let running: IdleCollector | undefined;
  afterEach(() => {
    running?.stop();
    running = undefined;
    vi.useRealTimers();
  });

  it('collects once the process has been quiet for two ticks, and not while it works', () => {
    vi.useFakeTimers();
    const { state, collector } = fakeProcess();
    running = collector;
    for (let i = 0; i < 5; i++) {
      state.activity++;
      vi.advanceTimersByTime(TICK);
    }
    expect(state.collected).toBe(0);
    vi.advanceTimersByTime(TICK);
    expect(state.collected).toBe(0);
    vi.advanceTimersByTime(TICK);
    expect(state.collected).toBe(1);
    expect(collector.collections).toBe(1);
    // Given back: the quiet goes on, and nothing is collected again.
    vi.advanceTimersByTime(20 * TICK);
    expect(state.collected).toBe(1);
  });

  it('waits while a request is in flight, though nothing else changes', () => {
    vi.useFakeTimers();
    const { state, collector } = fakeProcess();
    running = collector;
    state.inFlight = 1;
    vi.advanceTimersByTime(10 * TICK);
    expect(state.collected).toBe(0);
    state.inFlight = 0;
    vi.advanceTimersByTime(2 * TICK);
    expect(state.collected).toBe(1);
  });

  it('tries again further apart while the heap does not shrink, and stops once it does', () => {
    vi.useFakeTimers();
    const { state, collector } = fakeProcess();
    running = collector;
    state.shrinks = false;
    // The first tick only learns the activity: quiet from the second on.
    vi.advanceTimersByTime(3 * TICK);
    expect(state.collected).toBe(1);
    vi.advanceTimersByTime(TICK);
    expect(state.collected).toBe(1);
    vi.advanceTimersByTime(TICK);
    expect(state.collected).toBe(2);
    vi.advanceTimersByTime(3 * TICK);
    expect(state.collected).toBe(2);
    state.shrinks = true;
    vi.advanceTimersByTime(TICK);
    expect(state.collected).toBe(3);
    vi.advanceTimersByTime(40 * TICK);
    expect(state.collected).toBe(3);
  });

  it('collects after new work only when the heap grew by the threshold since the last collection', () => {
    vi.useFakeTimers();
    const { state, collector } = fakeProcess();
    running = collector;
    vi.advanceTimersByTime(3 * TICK);
    expect(state.collected).toBe(1);
    // Light work that grew the heap by less than 4 MiB: not worth a collection.
    state.activity++;
    state.heap += 3 * MiB;
    vi.advanceTimersByTime(3 * TICK);
    expect(state.collected).toBe(1);
    // A burst that grew it by more.
    state.activity++;
    state.heap += 10 * MiB;
    vi.advanceTimersByTime(3 * TICK);
    expect(state.collected).toBe(2);
  });

  it('stops looking when stopped', () => {
    vi.useFakeTimers();
    const { state, collector } = fakeProcess();
    collector.stop();
    vi.advanceTimersByTime(10 * TICK);
    expect(state.collected).toBe(0);
  });

  it("runs V8's own full collection by default, without node started with --expose-gc", async () => {
    // A large array lives in V8's large-object space, which only a full collection frees; with
    // nothing else allocating here, no collection of V8's own comes to free it.
    let retained: number[] | undefined = new Array(4_000_000).fill(1);
    const withArray = getHeapStatistics().used_heap_size;
    expect(retained.length).toBe(4_000_000);
    retained = undefined;
    const collector = startIdleCollector({ activity: () => 0, inFlight: () => 0, intervalMs: 10, minGrowthBytes: 0 });
    running = collector;
    const deadline = Date.now() + 5_000;
    while (collector.collections === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(collector.collections).toBeGreaterThan(0);
    expect(getHeapStatistics().used_heap_size).toBeLessThan(withArray - 20 * MiB);
  });
});
