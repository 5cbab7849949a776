import type { Instance, RegistryChange } from '@portico/sdk';
import type { PublishedJwk } from '../registry-port.js';
import { EPOCH_KEY, LEADER_KEY, parseKey } from './kv-keys.js';
import {
  type AssertionKeyRecord,
  changeOf,
  decodeRecord,
  type HeartbeatRecord,
  type InstanceRecord,
  type LeaderRecord,
} from './kv-records.js';
import { RevisionLog } from './revision-log.js';

/** What the mirror needs of a KV entry (a `KvEntry` of @nats-io/kv). */
export interface MirrorEntry {
  key: string;
  value: Uint8Array;
  revision: number;
  operation: 'PUT' | 'DEL' | 'PURGE';
}

/** A live instance and the revision of its key, which a removal must name (compare-and-set). */
export interface LiveInstance {
  instance: Instance;
  revision: number;
  expiresAt: number;
}

/** An instance whose lease ran out, with the key revisions its removal is fenced by. */
export interface ExpiredLease {
  instance: Instance;
  instanceRevision: number;
  heartbeatRevision: number;
}

interface Heartbeat {
  at: number;
  expiresAt: number;
  revision: number;
}

/**
 * This process's copy of both buckets, kept current by their watches: reads are answered
 * from it (no KV round trip), watchers are told from it in revision order, and the sweeper
 * finds expired leases in it. It does no I/O itself.
 *
 * @example
 * ```ts
 * const mirror = new KvMirror(10_000, 0);
 * for await (const entry of await kv.watch({ include: 'history' })) mirror.applyInstance(entry);
 * ```
 */
export class KvMirror {
  /** The last instance-bucket revision applied: the registry's current revision. */
  revision = 0;
  epoch = '';
  leader: (LeaderRecord & { revision: number }) | undefined;
  readonly live = new Map<string, LiveInstance>();
  private readonly heartbeats = new Map<string, Heartbeat>();
  private readonly assertionKeyRecords = new Map<string, AssertionKeyRecord>();
  private readonly log: RevisionLog;
  private readonly listeners = new Set<(change: RegistryChange) => void>();
  private waiters: { revision: number; resolve: () => void }[] = [];
  /** The last lease-bucket revision applied. */
  leaseRevision = 0;
  private leaseWaiters: { revision: number; resolve: () => void }[] = [];

  constructor(watchHistory: number, floor: number) {
    this.log = new RevisionLog(watchHistory, floor);
  }

  /** Applies one entry of the instance bucket, in stream order. */
  applyInstance(entry: MirrorEntry): void {
    if (entry.revision <= this.revision) return;
    this.revision = entry.revision;
    if (entry.key === EPOCH_KEY) {
      if (entry.operation === 'PUT') this.epoch = new TextDecoder().decode(entry.value);
    } else {
      const key = parseKey(entry.key);
      if (key.kind === 'i') this.applyInstanceRecord(key.name, entry);
    }
    this.release();
  }

  /** Applies one entry of the lease bucket. */
  applyLease(entry: MirrorEntry): void {
    if (entry.revision > this.leaseRevision) this.leaseRevision = entry.revision;
    const deleted = entry.operation !== 'PUT';
    if (entry.key === LEADER_KEY) {
      const record = deleted ? undefined : decodeRecord<LeaderRecord>(entry.value);
      this.leader = record ? { ...record, revision: entry.revision } : undefined;
    } else {
      const key = parseKey(entry.key);
      if (key.kind === 'h') {
        const record = deleted ? undefined : decodeRecord<HeartbeatRecord>(entry.value);
        this.heartbeats.set(key.name, {
          at: record?.at ?? 0,
          expiresAt: record?.expiresAt ?? 0,
          revision: entry.revision,
        });
      } else if (key.kind === 'k') {
        const record = deleted ? undefined : decodeRecord<AssertionKeyRecord>(entry.value);
        if (record) this.assertionKeyRecords.set(key.name, record);
        else this.assertionKeyRecords.delete(key.name);
      }
    }
    const ready = this.leaseWaiters.filter((w) => w.revision <= this.leaseRevision);
    this.leaseWaiters = this.leaseWaiters.filter((w) => w.revision > this.leaseRevision);
    for (const waiter of ready) waiter.resolve();
  }

  /** A live instance with its last heartbeat applied. */
  instance(id: string): Instance | undefined {
    const live = this.live.get(id);
    return live ? this.withHeartbeat(live) : undefined;
  }

  instances(): Instance[] {
    return [...this.live.values()].map((live) => this.withHeartbeat(live));
  }

  /** Changes after `revision` still held, or `undefined` when some may be gone. */
  after(revision: number): RegistryChange[] | undefined {
    return this.log.after(revision);
  }

  subscribe(listener: (change: RegistryChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get watcherCount(): number {
    return this.listeners.size;
  }

  /** Resolves once the instance bucket is applied up to `revision`, or after `timeoutMs`. */
  reach(revision: number, timeoutMs: number): Promise<boolean> {
    if (this.revision >= revision) return Promise.resolve(true);
    return waitFor(this.waiters, revision, timeoutMs);
  }

  /** The same for the lease bucket. */
  reachLease(revision: number, timeoutMs: number): Promise<boolean> {
    if (this.leaseRevision >= revision) return Promise.resolve(true);
    return waitFor(this.leaseWaiters, revision, timeoutMs);
  }

  /** Instances whose lease ran out by `now`: neither registration nor a heartbeat renewed it. */
  expired(now: number): ExpiredLease[] {
    const out: ExpiredLease[] = [];
    for (const [id, live] of this.live) {
      const heartbeat = this.heartbeats.get(id);
      if (Math.max(live.expiresAt, heartbeat?.expiresAt ?? 0) > now) continue;
      out.push({
        instance: this.withHeartbeat(live),
        instanceRevision: live.revision,
        heartbeatRevision: heartbeat?.revision ?? 0,
      });
    }
    return out;
  }

  assertionKeys(now: number): PublishedJwk[] {
    return [...this.assertionKeyRecords.values()].filter((r) => r.expiresAt > now).map((r) => r.jwk);
  }

  close(): void {
    this.listeners.clear();
  }

  private applyInstanceRecord(id: string, entry: MirrorEntry): void {
    const record = entry.operation === 'PUT' ? decodeRecord<InstanceRecord>(entry.value) : undefined;
    let change: RegistryChange | undefined;
    if (record) {
      change = changeOf(record, entry.revision);
      if (change.type === 'removed') this.live.delete(id);
      else {
        const expiresAt = Date.parse(change.instance.leaseExpiresAt);
        this.live.set(id, { instance: change.instance, revision: entry.revision, expiresAt });
      }
    } else {
      // A KV delete or purge (an operator's, not Portico's): gone, told as a deregistration.
      const live = this.live.get(id);
      this.live.delete(id);
      if (live) change = { revision: entry.revision, type: 'removed', reason: 'deregistered', instance: live.instance };
    }
    if (!change) return;
    this.log.append(change);
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // One broken watcher must not stop the others from learning of the change.
      }
    }
  }

  private withHeartbeat(live: LiveInstance): Instance {
    const heartbeat = this.heartbeats.get(live.instance.id);
    if (!heartbeat || heartbeat.expiresAt <= live.expiresAt) return live.instance;
    return {
      ...live.instance,
      lastHeartbeat: new Date(heartbeat.at).toISOString(),
      leaseExpiresAt: new Date(heartbeat.expiresAt).toISOString(),
    };
  }

  private release(): void {
    const ready = this.waiters.filter((w) => w.revision <= this.revision);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.revision > this.revision);
    for (const waiter of ready) waiter.resolve();
  }
}

function waitFor(list: { revision: number; resolve: () => void }[], revision: number, timeoutMs: number) {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    timer.unref();
    list.push({
      revision,
      resolve: () => {
        clearTimeout(timer);
        resolve(true);
      },
    });
  });
}
