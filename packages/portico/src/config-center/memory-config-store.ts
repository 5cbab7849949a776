import { applyWrite } from './apply-write.js';
import type { ConfigChange, ConfigEntry, ConfigStorePort, ConfigWrite, WriteOptions } from './config-store-port.js';

/**
 * The config center in this process's memory: for tests and throwaway deployments; a restart
 * forgets everything (the `store` adapter keeps it). `changeHistory` bounds the log a watch
 * can resume from.
 *
 * @example
 * ```ts
 * const store = new MemoryConfigStore();
 * await store.write('acme', 'orders', { kind: 'put', values: { theme: 'dark' } }, { actor: 'admin' });
 * ```
 */
export class MemoryConfigStore implements ConfigStorePort {
  private readonly entries = new Map<string, ConfigEntry>();
  private readonly log: ConfigChange[] = [];
  private revision = 0;
  /** Writes one at a time, as the store adapter's lock does. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly changeHistory = 10_000) {}

  async get(tenant: string, service: string): Promise<ConfigEntry | undefined> {
    return this.entries.get(`${tenant}/${service}`);
  }

  async list(tenant: string): Promise<ConfigEntry[]> {
    return [...this.entries.values()]
      .filter((entry) => entry.tenant === tenant)
      .sort((a, b) => a.service.localeCompare(b.service));
  }

  write(tenant: string, service: string, write: ConfigWrite, options: WriteOptions): Promise<ConfigChange> {
    const next = this.queue.then(() => this.writeNow(tenant, service, write, options));
    this.queue = next.catch(() => undefined);
    return next;
  }

  async changesAfter(tenant: string, revision: number, limit: number): Promise<ConfigChange[]> {
    return this.log.filter((change) => change.tenant === tenant && change.revision > revision).slice(0, limit);
  }

  async canResume(revision: number): Promise<boolean> {
    if (revision > this.revision) return false;
    // The log keeps the last `changeHistory` changes: resuming needs the one right after `revision`.
    const oldest = this.log[0]?.revision ?? this.revision + 1;
    return revision >= oldest - 1;
  }

  async latestRevision(): Promise<number> {
    return this.revision;
  }

  async close(): Promise<void> {}

  private async writeNow(
    tenant: string,
    service: string,
    write: ConfigWrite,
    options: WriteOptions,
  ): Promise<ConfigChange> {
    const key = `${tenant}/${service}`;
    const values = applyWrite(tenant, service, this.entries.get(key), write, options.ifRevision, options.maxBytes);
    const at = new Date().toISOString();
    const change: ConfigChange = {
      revision: this.revision + 1,
      tenant,
      service,
      kind: values === undefined ? 'deleted' : 'put',
      values: values ?? {},
      at,
      actor: options.actor,
    };
    await options.alongside?.(change, undefined);
    this.revision = change.revision;
    if (values === undefined) this.entries.delete(key);
    else
      this.entries.set(key, {
        tenant,
        service,
        revision: change.revision,
        values,
        updatedAt: at,
        updatedBy: options.actor,
      });
    this.log.push(change);
    if (this.log.length > this.changeHistory) this.log.splice(0, this.log.length - this.changeHistory);
    return change;
  }
}
