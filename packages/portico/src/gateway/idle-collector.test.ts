import { getHeapStatistics } from 'node:v8';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type IdleCollector, startIdleCollector } from './idle-collector.js';

const MiB = 1024 * 1024;
const TICK = 2_000;

/** A process under the collector's eye: work, requests in flight and a heap the test sets. */
function fakeProcess() {
  const state = { changes: 0, requests: 0, inFlight: 0, heap: 50 * MiB, collected: 0, shrinks: true };
  const collector = startIdleCollector({
    changes: () => state.changes,
    requests: () => state.requests,
    inFlight: () => state.inFlight,
    heapBytes: () => state.heap,
    collect: () => {
      state.collected++;
      if (state.shrinks) state.heap = 20 * MiB;
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
  /** A fake process on fake timers, its collector stopped after the test. */
  const watched = () => {
    vi.useFakeTimers();
    const watchedProcess = fakeProcess();
    running = watchedProcess.collector;
    return watchedProcess;
  };
  /** The same, past the collection that gives back what the start-up grew. */
  const collectedOnce = () => {
    const watchedProcess = watched();
    vi.advanceTimersByTime(3 * TICK);
    expect(watchedProcess.state.collected).toBe(1);
    return watchedProcess;
  };

  it('collects once the changes have stopped for two ticks, and not while they come', () => {
    const { state, collector } = watched();
    for (let i = 0; i < 5; i++) {
      state.changes++;
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
    const { state } = watched();
    state.inFlight = 1;
    vi.advanceTimersByTime(10 * TICK);
    expect(state.collected).toBe(0);
    state.inFlight = 0;
    vi.advanceTimersByTime(2 * TICK);
    expect(state.collected).toBe(1);
  });

  it('tries again on the next tick while the heap does not shrink, then further apart, and stops once it does', () => {
    const { state } = watched();
    state.shrinks = false;
    // The first tick only learns the activity: quiet from the second on (quiet ticks 2, 3, 4 try).
    vi.advanceTimersByTime(3 * TICK);
    expect(state.collected).toBe(1);
    vi.advanceTimersByTime(TICK);
    expect(state.collected).toBe(2);
    vi.advanceTimersByTime(TICK);
    expect(state.collected).toBe(3);
    // Then quiet tick 8.
    vi.advanceTimersByTime(3 * TICK);
    expect(state.collected).toBe(3);
    state.shrinks = true;
    vi.advanceTimersByTime(TICK);
    expect(state.collected).toBe(4);
    vi.advanceTimersByTime(40 * TICK);
    expect(state.collected).toBe(4);
  });

  it('collects after new changes only when the heap grew by the threshold since the last collection', () => {
    const { state } = collectedOnce();
    // A change or two that grew the heap by less than 4 MiB: not worth a collection.
    state.changes++;
    state.heap += 3 * MiB;
    vi.advanceTimersByTime(3 * TICK);
    expect(state.collected).toBe(1);
    // A burst that grew it by more.
    state.changes += 100;
    state.heap += 10 * MiB;
    vi.advanceTimersByTime(3 * TICK);
    expect(state.collected).toBe(2);
  });

  it('is not armed by requests: traffic between quiet spells keeps the young generation it grew', () => {
    const { state } = collectedOnce();
    for (let i = 0; i < 5; i++) {
      state.requests += 1000;
      vi.advanceTimersByTime(TICK);
    }
    state.heap += 16 * MiB;
    vi.advanceTimersByTime(20 * TICK);
    expect(state.collected).toBe(1);
    // Requests keep an armed collector waiting too.
    state.changes++;
    state.requests++;
    vi.advanceTimersByTime(TICK);
    state.requests++;
    vi.advanceTimersByTime(2 * TICK);
    expect(state.collected).toBe(1);
    vi.advanceTimersByTime(TICK);
    expect(state.collected).toBe(2);
  });

  it('stops looking when stopped', () => {
    const { state, collector } = watched();
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
    const collector = startIdleCollector({
      changes: () => 0,
      requests: () => 0,
      inFlight: () => 0,
      intervalMs: 10,
      minGrowthBytes: 0,
    });
    running = collector;
    const deadline = Date.now() + 5_000;
    while (collector.collections === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(collector.collections).toBeGreaterThan(0);
    expect(getHeapStatistics().used_heap_size).toBeLessThan(withArray - 20 * MiB);
  });
});
