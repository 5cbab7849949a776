import { Counter, Gauge, type Registry } from 'prom-client';
import type { RegistryPort } from '../registry/registry-port.js';

/**
 * The registry's metrics, in the process that holds the registry: instances per service and
 * watchers (read from the registry when scraped), and lease expiries (counted as they happen:
 * an instance that stopped heartbeating is the event an operator wants to see).
 *
 * @example
 * ```ts
 * const metrics = new RegistryMetrics(registry);
 * const memory = new MemoryRegistry({ ttlSeconds: 30, watchHistory: 10_000, onLeaseExpired: () => metrics.leaseExpired() });
 * metrics.read(memory);
 * ```
 */
export class RegistryMetrics {
  private readonly expiries: Counter;
  private source: RegistryPort | undefined;

  constructor(registry: Registry) {
    this.expiries = new Counter({
      name: 'portico_registry_lease_expiries_total',
      help: 'Instances removed because their lease expired (no heartbeat within their TTL).',
      registers: [registry],
    });
    const sourceOf = () => this.source;
    new Gauge({
      name: 'portico_registry_instances',
      help: 'Registered instances, by service.',
      labelNames: ['service'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const service of (await sourceOf()?.services()) ?? []) {
          this.set({ service: service.name }, service.instances);
        }
      },
    });
    new Gauge({
      name: 'portico_registry_watchers',
      help: "Subscribers of the registry's watch: SSE streams of remote gateways and SDK clients, and this process's own gateway.",
      registers: [registry],
      collect() {
        this.set(sourceOf()?.watcherCount() ?? 0);
      },
    });
  }

  leaseExpired(): void {
    this.expiries.inc();
  }

  /** The registry the gauges read when scraped. */
  read(source: RegistryPort): void {
    this.source = source;
  }
}
