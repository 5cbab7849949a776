import type { Instance, RegistryChange } from '../registry-types.js';

/**
 * The SDK's client-side view of the registry, kept current by the watch stream.
 *
 * Last-known-good, as the gateway's routing table does it: a snapshot from a new registry epoch
 * (the registry restarted, maybe empty) does not drop the instances it lacks at once. They stay
 * for one lease (their TTL) so they can register again, and only those that do not are removed.
 * A snapshot from the same epoch is a resync and is the whole truth.
 *
 * @example
 * ```ts
 * const view = new InstanceView();
 * view.applySnapshot(epoch, revision, instances);
 * view.applyChange(change);
 * const live = view.instances('orders');
 * ```
 */
export class InstanceView {
  /** The registry incarnation the view follows; undefined until the first snapshot. */
  epoch: string | undefined;
  revision = 0;
  private readonly byId = new Map<string, Instance>();
  private readonly members = new Map<string, Map<string, Instance>>();
  /** Per service, a list replaced (never mutated) on change, so a caller holds a consistent one. */
  private readonly lists = new Map<string, readonly Instance[]>();
  /** Instances a restarted registry did not know, with the time they leave unless they re-register. */
  private readonly stale = new Map<string, number>();

  /** True once a snapshot arrived. */
  get synced(): boolean {
    return this.epoch !== undefined;
  }

  instances(service: string): readonly Instance[] {
    let list = this.lists.get(service);
    if (list === undefined) {
      list = [...(this.members.get(service)?.values() ?? [])];
      this.lists.set(service, list);
    }
    return list;
  }

  /** Number of instances kept only because a restarted registry has not heard from them yet. */
  staleCount(): number {
    return this.stale.size;
  }

  applySnapshot(epoch: string, revision: number, instances: readonly Instance[], now = Date.now()): void {
    const restarted = this.epoch !== undefined && epoch !== this.epoch;
    const known = new Set(instances.map((instance) => instance.id));
    for (const [id, instance] of this.byId) {
      if (known.has(id)) continue;
      if (!restarted) this.remove(id);
      else if (!this.stale.has(id)) this.stale.set(id, now + instance.ttlSeconds * 1000);
    }
    for (const instance of instances) this.upsert(instance);
    this.epoch = epoch;
    this.revision = revision;
  }

  applyChange(change: RegistryChange): void {
    if (change.type === 'removed') this.remove(change.instance.id);
    else this.upsert(change.instance);
    this.revision = change.revision;
  }

  /** Drops the stale instances whose grace ran out; tells whether any remain. */
  sweep(now = Date.now()): boolean {
    for (const [id, until] of this.stale) if (until <= now) this.remove(id);
    return this.stale.size > 0;
  }

  private upsert(instance: Instance): void {
    this.stale.delete(instance.id);
    const previous = this.byId.get(instance.id);
    if (previous && previous.service !== instance.service) this.remove(instance.id);
    this.byId.set(instance.id, instance);
    let members = this.members.get(instance.service);
    if (!members) {
      members = new Map();
      this.members.set(instance.service, members);
    }
    members.set(instance.id, instance);
    this.lists.delete(instance.service);
  }

  private remove(id: string): void {
    this.stale.delete(id);
    const instance = this.byId.get(id);
    if (!instance) return;
    this.byId.delete(id);
    this.members.get(instance.service)?.delete(id);
    this.lists.delete(instance.service);
  }
}
