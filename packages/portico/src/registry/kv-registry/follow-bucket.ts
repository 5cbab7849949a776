import type { KV, KvEntry } from '@nats-io/kv';
import type { Logger } from 'pino';

/** A running watch of a bucket; `stop` ends it for good. */
export interface Follower {
  stop(): void;
}

/**
 * Feeds every entry of `kv` to `apply`, in stream order, for as long as it runs. The KV watch
 * (an ordered push consumer) already resumes by itself across reconnects; should it end
 * anyway (the server restarted, its consumer gone), it is opened again from the revision
 * after the last one applied, so nothing is missed and nothing applied twice.
 *
 * @example
 * ```ts
 * const follower = followBucket(kv, 'history', () => mirror.revision, (e) => mirror.applyInstance(e), logger);
 * ```
 */
export function followBucket(
  kv: KV,
  include: 'history' | '',
  lastApplied: () => number,
  apply: (entry: KvEntry) => void,
  logger: Logger,
): Follower {
  let stopped = false;
  let current: { stop(): void } | undefined;
  const run = async () => {
    while (!stopped) {
      try {
        const last = lastApplied();
        const iterator = await kv.watch(last > 0 ? { resumeFromRevision: last + 1 } : { include });
        current = iterator;
        if (stopped) iterator.stop();
        for await (const entry of iterator) apply(entry);
      } catch (error) {
        if (!stopped) logger.warn({ err: error }, 'registry KV watch interrupted; reopening');
      }
      if (!stopped) await new Promise((resolve) => setTimeout(resolve, 250 + Math.random() * 250));
    }
  };
  void run();
  return {
    stop() {
      stopped = true;
      current?.stop();
    },
  };
}
