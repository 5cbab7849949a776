import { randomUUID } from 'node:crypto';
import { type KV, Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Instance } from '@portico/sdk';
import type { Logger } from 'pino';
import { followBucket } from './follow-bucket.js';
import { isCasConflict, RegistryKvError } from './kv-errors.js';
import { EPOCH_KEY, leaseBucketOf } from './kv-keys.js';
import { KvMirror } from './kv-mirror.js';
import { KvRegistry } from './kv-registry.js';
import { LeaderTerm } from './leader-term.js';
import { LeaseSweeper } from './lease-sweeper.js';

/** Settings of the KV registry: `registry.nats` plus the registry's own. */
export interface KvRegistryOptions {
  url: string;
  logger: Logger;
  /** Lease length for registrations that do not say. */
  ttlSeconds: number;
  /** How many recent changes this process keeps in memory for resuming watchers. */
  watchHistory: number;
  bucket?: string;
  replicas?: number;
  history?: number;
  leaderLeaseSeconds?: number;
  sweepMs?: number;
  token?: string;
  user?: string;
  pass?: string;
  /** Told when this process writes a lease expiry, for the lease-expiries metric. */
  onLeaseExpired?: (instance: Instance) => void;
}

/** How long the start waits for the mirror to apply what the buckets held. */
const CATCH_UP_MS = 30_000;

/**
 * Connects to NATS, opens (or creates) the instance and lease buckets, replays them into this
 * process's mirror and joins the election of the lease sweeper. Resolves once the mirror holds
 * everything the buckets held at the start, so the first snapshot is complete.
 *
 * @example
 * ```ts
 * const registry = await connectKvRegistry({ url: 'nats://127.0.0.1:4222', ttlSeconds: 30, watchHistory: 10_000, logger });
 * ```
 */
export async function connectKvRegistry(options: KvRegistryOptions): Promise<KvRegistry> {
  const bucket = options.bucket ?? 'portico-registry';
  const nc = await connect({
    servers: options.url,
    name: 'portico-registry',
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 250,
    ...(options.user ? { user: options.user, pass: options.pass ?? '' } : {}),
    ...(options.token ? { token: options.token } : {}),
  }).catch((error: unknown) => {
    throw new RegistryKvError(`cannot connect to NATS at ${options.url} for the registry: ${String(error)}`, {
      cause: error,
    });
  });
  try {
    return await open(nc, bucket, options);
  } catch (error) {
    await nc.close().catch(() => {});
    if (error instanceof RegistryKvError) throw error;
    throw new RegistryKvError(
      `cannot open the registry buckets ${bucket} on NATS (is JetStream on?): ${String(error)}`,
      {
        cause: error,
      },
    );
  }
}

async function open(nc: NatsConnection, bucket: string, options: KvRegistryOptions): Promise<KvRegistry> {
  const { logger } = options;
  const kvm = new Kvm(nc);
  const replicas = options.replicas ?? 1;
  const kv = await kvm.create(bucket, { history: options.history ?? 16, replicas });
  // Heartbeats and the leader key: only the last value of each key matters.
  const leases = await kvm.create(leaseBucketOf(bucket), { history: 1, replicas });
  const epoch = await ensureEpoch(kv);
  const [kvState, leaseState] = await Promise.all([kv.status(), leases.status()]);
  const { first_seq: firstSeq, last_seq: lastSeq } = kvState.streamInfo.state;
  const mirror = new KvMirror(options.watchHistory, Math.max(0, firstSeq - 1));
  mirror.epoch = epoch;
  const followers = [
    followBucket(
      kv,
      'history',
      () => mirror.revision,
      (entry) => mirror.applyInstance(entry),
      logger,
    ),
    followBucket(
      leases,
      '',
      () => mirror.leaseRevision,
      (entry) => mirror.applyLease(entry),
      logger,
    ),
  ];
  const caughtUp = await Promise.all([
    mirror.reach(lastSeq, CATCH_UP_MS),
    mirror.reachLease(leaseState.streamInfo.state.last_seq, CATCH_UP_MS),
  ]);
  if (!caughtUp.every(Boolean)) {
    for (const follower of followers) follower.stop();
    throw new RegistryKvError(`the registry buckets ${bucket} did not replay within ${CATCH_UP_MS / 1000} s`);
  }
  const owner = `${process.pid}-${randomUUID().slice(0, 8)}`;
  const term = new LeaderTerm(leases, owner, (options.leaderLeaseSeconds ?? 10) * 1000, logger);
  const sweeper = new LeaseSweeper({
    mirror,
    kv,
    leases,
    term,
    sweepMs: options.sweepMs ?? 500,
    logger,
    ...(options.onLeaseExpired ? { onExpired: options.onLeaseExpired } : {}),
  });
  let connected = true;
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') connected = false;
      else if (status.type === 'reconnect') connected = true;
    }
  })();
  term.start();
  sweeper.start();
  logger.info({ bucket, revision: mirror.revision, instances: mirror.live.size, owner }, 'registry on NATS KV');
  return new KvRegistry({
    kv,
    leases,
    mirror,
    sweeper,
    ttlSeconds: options.ttlSeconds,
    connected: () => connected && !nc.isClosed(),
    async shutdown() {
      await sweeper.stop();
      await term.stop();
      for (const follower of followers) follower.stop();
      mirror.close();
      await nc.drain().catch(() => {});
    },
  });
}

/** The deployment's epoch: made once by whichever registry process creates the bucket first. */
async function ensureEpoch(kv: KV): Promise<string> {
  try {
    await kv.put(EPOCH_KEY, randomUUID(), { previousSeq: 0 });
  } catch (error) {
    if (!isCasConflict(error)) throw error;
  }
  const entry = await kv.get(EPOCH_KEY);
  if (entry?.operation !== 'PUT') throw new RegistryKvError('the registry bucket has no epoch');
  return entry.string();
}
