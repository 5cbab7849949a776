import { randomUUID } from 'node:crypto';
import type {
  Instance,
  InstanceRegistration,
  RegistryChange,
  RemovalReason,
  ServiceDetail,
  ServiceSummary,
} from '@portico/sdk';
import { AssertionKeySet } from './assertion-keys.js';
import { ChangeLog } from './change-log.js';
import { toInstance } from './normalize.js';
import type {
  PublishedJwk,
  Registered,
  RegistryPort,
  WatchEvent,
  WatchFrom,
  WatchSubscription,
} from './registry-port.js';
import { summarizeServices } from './service-summaries.js';

/** Settings of the memory registry. */
export interface MemoryRegistryOptions {
  /** Lease length for registrations that do not say. */
  ttlSeconds: number;
  /** How many changes are kept for watchers that reconnect. */
  watchHistory: number;
  /** Told when an instance's lease expires, for the lease-expiries metric. */
  onLeaseExpired?: (instance: Instance) => void;
}

interface Entry {
  instance: Instance;
  lease: NodeJS.Timeout;
}

type Listener = (event: WatchEvent) => void;

/**
 * The registry held in this process: instances with leases that expire on a timer, a revision
 * counter and a change log. Watchers are told synchronously, so in all-in-one mode the gateway
 * routes to a new instance before the register call has even answered.
 *
 * @example
 * ```ts
 * const registry = new MemoryRegistry({ ttlSeconds: 30, watchHistory: 10_000 });
 * registry.watch({}, (event) => console.log(event.kind));
 * await registry.register({ service: 'hello', host: '127.0.0.1', port: 3000 });
 * ```
 */
export class MemoryRegistry implements RegistryPort {
  /** Identifies this incarnation: revisions of another one mean nothing here. */
  readonly epoch = randomUUID();
  private revision = 0;
  private readonly entries = new Map<string, Entry>();
  private readonly log: ChangeLog;
  private readonly listeners = new Set<Listener>();
  private readonly assertionKeySet = new AssertionKeySet();

  constructor(private readonly options: MemoryRegistryOptions) {
    this.log = new ChangeLog(options.watchHistory);
  }

  async register(registration: InstanceRegistration): Promise<Registered> {
    const id = registration.id ?? randomUUID();
    const existing = this.entries.get(id);
    const now = Date.now();
    const revision = ++this.revision;
    const registeredAt = existing?.instance.registeredAt ?? new Date(now).toISOString();
    const instance = toInstance({ ...registration, id }, this.options, now, revision, registeredAt);
    if (existing) clearTimeout(existing.lease);
    this.entries.set(id, { instance, lease: this.startLease(id, instance.ttlSeconds) });
    this.publish({ revision, type: existing ? 'updated' : 'registered', instance });
    return { instance, created: !existing };
  }

  async heartbeat(id: string): Promise<Instance | undefined> {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    const now = Date.now();
    entry.lease.refresh();
    // A fresh object, so instances already handed out (events, snapshots) never change under their holders.
    entry.instance = {
      ...entry.instance,
      lastHeartbeat: new Date(now).toISOString(),
      leaseExpiresAt: new Date(now + entry.instance.ttlSeconds * 1000).toISOString(),
    };
    return entry.instance;
  }

  async deregister(id: string): Promise<Instance | undefined> {
    return this.remove(id, 'deregistered');
  }

  async instance(id: string): Promise<Instance | undefined> {
    return this.entries.get(id)?.instance;
  }

  async services(): Promise<ServiceSummary[]> {
    return summarizeServices(Array.from(this.entries.values(), (e) => e.instance));
  }

  async service(name: string): Promise<ServiceDetail | undefined> {
    const instances = [...this.entries.values()].map((e) => e.instance).filter((i) => i.service === name);
    return instances.length === 0 ? undefined : { name, instances };
  }

  watch(from: WatchFrom, listener: Listener): WatchSubscription {
    const sameEpoch = from.epoch === undefined || from.epoch === this.epoch;
    const missed = from.since !== undefined && sameEpoch ? this.log.after(from.since, this.revision) : undefined;
    if (missed) {
      for (const change of missed) listener({ kind: 'change', epoch: this.epoch, change });
    } else {
      const instances = [...this.entries.values()].map((e) => e.instance);
      listener({ kind: 'snapshot', epoch: this.epoch, snapshot: { revision: this.revision, instances } });
    }
    this.listeners.add(listener);
    return { close: () => this.listeners.delete(listener) };
  }

  async publishAssertionKey(jwk: PublishedJwk, ttlSeconds: number): Promise<void> {
    this.assertionKeySet.publish(jwk, ttlSeconds);
  }

  async assertionKeys(): Promise<PublishedJwk[]> {
    return this.assertionKeySet.current();
  }

  watcherCount(): number {
    return this.listeners.size;
  }

  async close(): Promise<void> {
    for (const entry of this.entries.values()) clearTimeout(entry.lease);
    this.listeners.clear();
  }

  private startLease(id: string, ttlSeconds: number): NodeJS.Timeout {
    const lease = setTimeout(() => {
      const expired = this.remove(id, 'expired');
      if (expired) this.options.onLeaseExpired?.(expired);
    }, ttlSeconds * 1000);
    lease.unref();
    return lease;
  }

  private remove(id: string, reason: RemovalReason): Instance | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    clearTimeout(entry.lease);
    this.entries.delete(id);
    this.publish({ revision: ++this.revision, type: 'removed', reason, instance: entry.instance });
    return entry.instance;
  }

  private publish(change: RegistryChange): void {
    this.log.append(change);
    const event: WatchEvent = { kind: 'change', epoch: this.epoch, change };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // One broken watcher must not stop the others from learning of the change.
      }
    }
  }
}
