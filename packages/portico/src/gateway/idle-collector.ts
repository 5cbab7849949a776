import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** What the idle collector watches and what it calls. */
export interface IdleCollectorOptions {
  /**
   * A number that changes with every change the process takes in (the routing table's
   * revision): a change arms the collector. Read once a tick, never on the request path.
   */
  changes: () => number;
  /**
   * A number that changes with every request answered: requests keep the collector waiting
   * but do not arm it (see below).
   */
  requests: () => number;
  /** Requests in progress: a long one (a stream, an upload) counts as work though nothing changes. */
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
  /** Collections run so far. */
  readonly collections: number;
  stop(): void;
}

const DEFAULT_INTERVAL_MS = 2_000;
const DEFAULT_MIN_GROWTH_BYTES = 4 * 1024 * 1024;

/**
 * Gives back the memory the start-up sync or a burst of registry changes grew, once the process
 * has gone quiet. V8 grows its young generation (to 32 MiB with Node's defaults) while the
 * gateway takes in 10,000 registrations, and shrinks it only at a collection it runs while
 * allocation is slow. When the process then sits idle no collection comes, unless V8's memory
 * reducer happens to be armed, which it often is not: an idle gateway kept 10–30 MiB it did not
 * use. One full collection after the burst (a few ms for a gateway's heap, at a moment no
 * request waits) gives it back. It runs only when the heap has grown since the last one.
 *
 * Requests do not arm it: a gateway between bursts of traffic keeps the young generation the
 * traffic grew, so the next burst does not start from 1 MiB and scavenge more often while it
 * grows back (what V8 does there is the same with or without this collector).
 *
 * @example
 * ```ts
 * const collector = startIdleCollector({
 *   changes: () => table.revision,
 *   requests: () => gateway.requestsSettled(),
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
  let lastChanges = Number.NaN;
  let lastRequests = Number.NaN;
  // Armed from the start: the start-up sync is the first burst.
  let armed = true;
  let quietTicks = 0;
  let sizeAfterCollection = 0;
  let collections = 0;
  const tick = () => {
    const changes = options.changes();
    const requests = options.requests();
    const changed = changes !== lastChanges;
    if (changed) armed = true;
    const busy = changed || requests !== lastRequests || options.inFlight() > 0;
    lastChanges = changes;
    lastRequests = requests;
    quietTicks = busy ? 0 : quietTicks + 1;
    if (!armed || !isTryingTick(quietTicks)) return;
    const before = heapBytes();
    if (before < sizeAfterCollection + minGrowth) {
      armed = false;
      return;
    }
    collect();
    collections++;
    const after = heapBytes();
    // V8 shrinks the young generation only when allocation since its last collection was slow,
    // which a collection soon after the work may not yet see: then it stays armed, and the next
    // trying tick tries again (see isTryingTick).
    if (after <= before - minGrowth) {
      sizeAfterCollection = after;
      armed = false;
    }
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

/**
 * Quiet ticks 2, 3, 4, 8, 16, …: the first try comes soon; a try that V8 did not answer by
 * shrinking is repeated on the next tick, when its own collection has made the allocation V8
 * sees since the last one small; after that the tries grow further apart, so a process that
 * keeps its memory is not collected often.
 */
function isTryingTick(quietTicks: number): boolean {
  return quietTicks === 2 || quietTicks === 3 || (quietTicks >= 4 && (quietTicks & (quietTicks - 1)) === 0);
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
