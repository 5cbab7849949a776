import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** What the idle collector watches and what it calls. */
export interface IdleCollectorOptions {
  /**
   * A number that changes whenever the process works: the routing table's revision plus the
   * requests the gateway has taken. Read once a tick, never on the request path.
   */
  activity: () => number;
  /** Requests in progress: a long one (a stream, an upload) counts as work though it changes nothing. */
  inFlight: () => number;
  /** How often it looks, in ms; the first collection comes two to three ticks after the work stops. */
  intervalMs?: number;
  /** Heap growth (bytes over the size after the last collection) worth a collection. */
  minGrowthBytes?: number;
  /** Runs a full collection; V8's own by default. */
  collect?: () => void;
  /** The heap's committed size in bytes; V8's by default. */
  heapBytes?: () => number;
}

/** A running idle collector. */
export interface IdleCollector {
  /** Collections run so far, for tests and the admin view. */
  readonly collections: number;
  stop(): void;
}

const DEFAULT_INTERVAL_MS = 2_000;
const DEFAULT_MIN_GROWTH_BYTES = 4 * 1024 * 1024;

/**
 * Gives back the memory a burst of work grew once the process has gone quiet. V8 grows its
 * young generation (to 32 MiB with Node's defaults) while the gateway takes in 10,000
 * registrations or serves load, and shrinks it only at a collection it runs while allocation
 * is slow. When the process then sits idle no collection comes, unless V8's memory reducer
 * happens to be armed, which it often is not: an idle gateway kept ~10 MiB it did not use.
 * One full collection after the work stops (a few ms for a gateway's heap, at a moment no
 * request waits) gives it back. It runs only when the heap has grown since the last one, so a
 * gateway with steady light traffic is not collected over and over.
 *
 * @example
 * ```ts
 * const collector = startIdleCollector({
 *   activity: () => table.revision + gateway.requestsTaken(),
 *   inFlight: () => gateway.inFlight(),
 * });
 * // on shutdown
 * collector.stop();
 * ```
 */
export function startIdleCollector(options: IdleCollectorOptions): IdleCollector {
  const collect = options.collect ?? v8Collector();
  const heapBytes = options.heapBytes ?? (() => getHeapStatistics().total_heap_size);
  const minGrowth = options.minGrowthBytes ?? DEFAULT_MIN_GROWTH_BYTES;
  let lastActivity = Number.NaN;
  let quietTicks = 0;
  let sizeAfterCollection = 0;
  let collections = 0;
  const tick = () => {
    const activity = options.activity();
    const busy = activity !== lastActivity || options.inFlight() > 0;
    lastActivity = activity;
    quietTicks = busy ? 0 : quietTicks + 1;
    if (!isTryingTick(quietTicks)) return;
    const before = heapBytes();
    if (before < sizeAfterCollection + minGrowth) return;
    collect();
    collections++;
    const after = heapBytes();
    // V8 shrinks the young generation only when allocation since its last collection was slow,
    // which a collection soon after the work may not yet see: then the next trying tick tries
    // again, and the tries grow further apart.
    if (after <= before - minGrowth) sizeAfterCollection = after;
  };
  const timer = setInterval(tick, options.intervalMs ?? DEFAULT_INTERVAL_MS);
  timer.unref();
  return {
    get collections() {
      return collections;
    },
    stop() {
      clearInterval(timer);
    },
  };
}

/** Quiet ticks 2, 4, 8, 16, …: the first try comes soon, and a process that keeps its memory is not collected often. */
function isTryingTick(quietTicks: number): boolean {
  return quietTicks >= 2 && (quietTicks & (quietTicks - 1)) === 0;
}

/**
 * V8's full collection without starting node with `--expose-gc`: the flag applies to contexts
 * made after it is set, so one small context is made to hand the function over (~0.2 MiB kept).
 */
function v8Collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  setFlagsFromString('--no-expose-gc');
  return gc;
}
