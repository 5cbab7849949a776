import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { VERSION } from '../version.js';
import { GatewayMetrics } from './gateway-metrics.js';
import { IdentityMetrics } from './identity-metrics.js';
import { RealtimeMetrics } from './realtime-metrics.js';
import { RegistryMetrics } from './registry-metrics.js';

/**
 * The metrics of one Portico process, served as Prometheus text at `GET /metrics` on the admin
 * port. Its own prom-client `Registry`, never the global one: a test may start several
 * platforms in one Node process, and an application embedding Portico keeps its own metrics.
 * Each part (gateway, registry, identity) adds its metrics when the process runs it.
 *
 * @example
 * ```ts
 * const metrics = new PorticoMetrics('all');
 * const gateway = metrics.gateway(); // per-service cells for the routing table
 * const text = await metrics.text();
 * ```
 */
export class PorticoMetrics {
  readonly registry = new Registry();
  private gatewayPart: GatewayMetrics | undefined;
  private registryPart: RegistryMetrics | undefined;
  private identityPart: IdentityMetrics | undefined;
  private realtimePart: RealtimeMetrics | undefined;

  constructor(role: string) {
    // Process CPU, memory, heap, event-loop lag, GC: what the dashboard's process row reads.
    collectDefaultMetrics({ register: this.registry });
    const info = new Gauge({
      name: 'portico_info',
      help: 'Always 1; the labels say which version runs and in which role.',
      labelNames: ['version', 'role'],
      registers: [this.registry],
    });
    info.set({ version: VERSION, role }, 1);
  }

  gateway(): GatewayMetrics {
    this.gatewayPart ??= new GatewayMetrics(this.registry);
    return this.gatewayPart;
  }

  registryMetrics(): RegistryMetrics {
    this.registryPart ??= new RegistryMetrics(this.registry);
    return this.registryPart;
  }

  identity(): IdentityMetrics {
    this.identityPart ??= new IdentityMetrics(this.registry);
    return this.identityPart;
  }

  realtime(): RealtimeMetrics {
    this.realtimePart ??= new RealtimeMetrics(this.registry);
    return this.realtimePart;
  }

  /** The exposition text, and the content type to serve it with. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
