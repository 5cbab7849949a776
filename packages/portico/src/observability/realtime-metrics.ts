import { Counter, Gauge, type Registry } from 'prom-client';
import type { RealtimeHub } from '../realtime/realtime-hub.js';

/**
 * The realtime hub's metrics, in a process that runs a gateway: open sockets per tenant, frames
 * delivered, slow-client disconnects and authentication failures. All are read from the hub's
 * own counters when scraped: a publish to 10,000 sockets adds to a plain number 10,000 times,
 * never to a prom-client cell (its label lookup would cost more than the send).
 *
 * @example
 * ```ts
 * const metrics = new RealtimeMetrics(registry);
 * metrics.read(hub);
 * ```
 */
export class RealtimeMetrics {
  private source: RealtimeHub | undefined;

  constructor(registry: Registry) {
    const hubOf = () => this.source;
    new Gauge({
      name: 'portico_realtime_connections',
      help: 'Open WebSockets of the realtime hub, by tenant ("(unauthenticated)" before auth).',
      labelNames: ['tenant'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [tenant, n] of Object.entries(hubOf()?.stats().connections ?? {})) this.set({ tenant }, n);
      },
    });
    const counter = (name: string, help: string, read: (hub: RealtimeHub) => number) =>
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          const hub = hubOf();
          this.reset();
          if (hub) this.inc(read(hub));
        },
      });
    counter(
      'portico_realtime_delivered_total',
      'Message frames written to subscribed sockets (one per socket).',
      (hub) => hub.stats().delivered,
    );
    counter(
      'portico_realtime_slow_client_disconnects_total',
      'Sockets closed with 4008: unsent bytes past realtime.maxBufferedBytes.',
      (hub) => hub.stats().slowClientDisconnects,
    );
    counter(
      'portico_realtime_auth_failures_total',
      'Sockets closed with 4401: a bad, forged or expired credential, or none in time.',
      (hub) => hub.stats().authFailures,
    );
  }

  /** The hub the metrics read when scraped. */
  read(hub: RealtimeHub): void {
    this.source = hub;
  }
}
