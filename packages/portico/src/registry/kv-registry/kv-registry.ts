import { randomUUID } from 'node:crypto';
import type { KV, KvEntry } from '@nats-io/kv';
import type { Instance, InstanceRegistration, ServiceDetail, ServiceSummary } from '@portico/sdk';
import { PorticoError } from '@portico/sdk';
import { toInstance } from '../normalize.js';
import type {
  PublishedJwk,
  Registered,
  RegistryPort,
  WatchEvent,
  WatchFrom,
  WatchSubscription,
} from '../registry-port.js';
import { summarizeServices } from '../service-summaries.js';
import { isCasConflict, storeUnavailable } from './kv-errors.js';
import { assertionKeyKey, heartbeatKey, instanceKey } from './kv-keys.js';
import type { KvMirror } from './kv-mirror.js';
import { type AssertionKeyRecord, decodeRecord, encodeRecord, type InstanceRecord } from './kv-records.js';
import type { LeaseSweeper } from './lease-sweeper.js';

/** What a KvRegistry is built from (see connectKvRegistry, which makes them). */
export interface KvRegistryParts {
  kv: KV;
  leases: KV;
  mirror: KvMirror;
  sweeper: LeaseSweeper;
  ttlSeconds: number;
  /** Stops the watches, the term and the connection. */
  shutdown: () => Promise<void>;
  /** True while the NATS connection is up. */
  connected: () => boolean;
}

/** Compare-and-set attempts of one write before it gives up with `CONFLICT`. */
const CAS_ATTEMPTS = 8;
/** How long a write waits for this process's mirror to apply it (read-your-writes). */
const REACH_MS = 2_000;

/**
 * The registry kept in NATS JetStream KV, shared by every registry process on the same
 * buckets (docs/scale-out.md). Revisions are the instance bucket's stream sequence, so they
 * are monotonic across processes; the bucket's history is the change log a watcher resumes
 * from, on any process; every write is a compare-and-set on the revision it read. Reads and
 * watches are served from this process's mirror of the buckets, and a write returns once the
 * mirror has applied it, so this process's watchers have seen a change before its write answers.
 *
 * @example
 * ```ts
 * const registry = await connectKvRegistry({ url: 'nats://127.0.0.1:4222', ttlSeconds: 30, watchHistory: 10_000, logger });
 * registry.watch({}, (event) => console.log(event.kind));
 * await registry.register({ service: 'hello', host: '127.0.0.1', port: 3000 });
 * ```
 */
export class KvRegistry implements RegistryPort {
  constructor(private readonly parts: KvRegistryParts) {}

  /** The deployment's epoch: the same on every registry process of these buckets. */
  get epoch(): string {
    return this.parts.mirror.epoch;
  }

  /** The elected lease sweeper's part in this process (tests drive it). */
  get sweeper(): LeaseSweeper {
    return this.parts.sweeper;
  }

  connected(): boolean {
    return this.parts.connected();
  }

  async register(registration: InstanceRegistration): Promise<Registered> {
    const id = registration.id ?? randomUUID();
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const entry = await this.read(instanceKey(id));
      const current = liveRecord(entry);
      const now = Date.now();
      const registeredAt = current?.instance.registeredAt ?? new Date(now).toISOString();
      const instance = toInstance({ ...registration, id }, this.parts, now, 0, registeredAt);
      const record: InstanceRecord = { op: current ? 'updated' : 'registered', instance };
      const revision = await this.write(instanceKey(id), record, entry?.revision ?? 0);
      if (revision === undefined) continue;
      await this.parts.mirror.reach(revision, REACH_MS);
      return { instance: { ...instance, revision }, created: !current };
    }
    throw new PorticoError('CONFLICT', `instance ${id} is being written by others; try again`, { id });
  }

  async heartbeat(id: string): Promise<Instance | undefined> {
    const instance = await this.instance(id);
    if (!instance) return undefined;
    const now = Date.now();
    const expiresAt = now + instance.ttlSeconds * 1000;
    let revision: number;
    try {
      revision = await this.parts.leases.put(heartbeatKey(id), encodeRecord({ at: now, expiresAt }));
    } catch (error) {
      throw storeUnavailable(error);
    }
    await this.parts.mirror.reachLease(revision, REACH_MS);
    return {
      ...instance,
      lastHeartbeat: new Date(now).toISOString(),
      leaseExpiresAt: new Date(expiresAt).toISOString(),
    };
  }

  async deregister(id: string): Promise<Instance | undefined> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const entry = await this.read(instanceKey(id));
      const current = liveRecord(entry);
      if (!entry || !current) return undefined;
      const instance = { ...current.instance, revision: entry.revision };
      const revision = await this.write(
        instanceKey(id),
        { op: 'removed', reason: 'deregistered', instance },
        entry.revision,
      );
      if (revision === undefined) continue;
      // Its heartbeat key goes too; a leftover one is harmless (the instance key decides).
      await this.parts.leases.delete(heartbeatKey(id)).catch(() => {});
      await this.parts.mirror.reach(revision, REACH_MS);
      return instance;
    }
    throw new PorticoError('CONFLICT', `instance ${id} is being written by others; try again`, { id });
  }

  async instance(id: string): Promise<Instance | undefined> {
    const mirrored = this.parts.mirror.instance(id);
    if (mirrored) return mirrored;
    // Registered a moment ago through another registry process, whose write this mirror may
    // not have applied yet: ask the bucket before answering "not registered".
    const entry = await this.read(instanceKey(id));
    const current = liveRecord(entry);
    return entry && current ? { ...current.instance, revision: entry.revision } : undefined;
  }

  async services(): Promise<ServiceSummary[]> {
    return summarizeServices(Array.from(this.parts.mirror.live.values(), (e) => e.instance));
  }

  async service(name: string): Promise<ServiceDetail | undefined> {
    const instances = this.parts.mirror.instances().filter((i) => i.service === name);
    return instances.length === 0 ? undefined : { name, instances };
  }

  watch(from: WatchFrom, listener: (event: WatchEvent) => void): WatchSubscription {
    const { mirror } = this.parts;
    const epoch = mirror.epoch;
    const sameEpoch = from.epoch === undefined || from.epoch === epoch;
    let since = -1;
    if (from.since !== undefined && sameEpoch) {
      // A revision this mirror has not reached yet (the watcher comes from a process that is
      // ahead by a few milliseconds) needs no snapshot: the changes after it are still to come.
      const missed = from.since >= mirror.revision ? [] : mirror.after(from.since);
      if (missed) {
        since = from.since;
        for (const change of missed) listener({ kind: 'change', epoch, change });
      }
    }
    if (since < 0) {
      listener({ kind: 'snapshot', epoch, snapshot: { revision: mirror.revision, instances: mirror.instances() } });
    }
    const unsubscribe = mirror.subscribe((change) => {
      if (change.revision > since) listener({ kind: 'change', epoch, change });
    });
    return { close: unsubscribe };
  }

  watcherCount(): number {
    return this.parts.mirror.watcherCount;
  }

  async publishAssertionKey(jwk: PublishedJwk, ttlSeconds: number): Promise<void> {
    const record: AssertionKeyRecord = { jwk, expiresAt: Date.now() + ttlSeconds * 1000 };
    try {
      const revision = await this.parts.leases.put(assertionKeyKey(jwk.kid), encodeRecord(record));
      await this.parts.mirror.reachLease(revision, REACH_MS);
    } catch (error) {
      throw storeUnavailable(error);
    }
  }

  async assertionKeys(): Promise<PublishedJwk[]> {
    return this.parts.mirror.assertionKeys(Date.now());
  }

  async close(): Promise<void> {
    await this.parts.shutdown();
  }

  private async read(key: string): Promise<KvEntry | null> {
    try {
      return await this.parts.kv.get(key);
    } catch (error) {
      throw storeUnavailable(error);
    }
  }

  /** A compare-and-set put; `undefined` when another write came first. */
  private async write(key: string, record: InstanceRecord, previousSeq: number): Promise<number | undefined> {
    try {
      return await this.parts.kv.put(key, encodeRecord(record), { previousSeq });
    } catch (error) {
      if (isCasConflict(error)) return undefined;
      throw storeUnavailable(error);
    }
  }
}

/** The record of an entry that holds a live instance; `undefined` for none, a delete or a tombstone. */
function liveRecord(entry: KvEntry | null): Extract<InstanceRecord, { op: 'registered' | 'updated' }> | undefined {
  if (entry?.operation !== 'PUT') return undefined;
  const record = decodeRecord<InstanceRecord>(entry.value);
  return record && record.op !== 'removed' ? record : undefined;
}
