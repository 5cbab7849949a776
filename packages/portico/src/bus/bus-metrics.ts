import type { TopicInfo } from '@portico/sdk';
import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * Bus counters per topic and group, and the lag gauge (messages not yet delivered to a group),
 * refreshed whenever topics are listed.
 *
 * @example
 * ```ts
 * const metrics = new BusMetrics(registry);
 * metrics.published('order.verified');
 * ```
 */
export class BusMetrics {
  private readonly publishedTotal: Counter<'topic'>;
  private readonly settledTotal: Counter<'topic' | 'group' | 'outcome'>;
  private readonly lagGauge: Gauge<'topic' | 'group'>;
  private readonly httpConsumerGauge: Gauge;

  constructor(registry: Registry) {
    this.publishedTotal = new Counter({
      name: 'portico_bus_published_total',
      help: 'Messages published (duplicates not counted).',
      labelNames: ['topic'],
      registers: [registry],
    });
    this.settledTotal = new Counter({
      name: 'portico_bus_deliveries_total',
      help: 'Deliveries per topic and group by outcome: delivered, acked, retried, dead.',
      labelNames: ['topic', 'group', 'outcome'],
      registers: [registry],
    });
    this.lagGauge = new Gauge({
      name: 'portico_bus_lag',
      help: 'Messages of a topic not yet delivered to a group.',
      labelNames: ['topic', 'group'],
      registers: [registry],
    });
    this.httpConsumerGauge = new Gauge({
      name: 'portico_bus_http_consumers',
      help: 'Consumers open over the bus HTTP API in this process.',
      registers: [registry],
    });
  }

  published(topic: string): void {
    this.publishedTotal.inc({ topic });
  }

  settled(topic: string, group: string, outcome: 'delivered' | 'acked' | 'retried' | 'dead', n: number): void {
    if (n > 0) this.settledTotal.inc({ topic, group, outcome }, n);
  }

  httpConsumers(open: number): void {
    this.httpConsumerGauge.set(open);
  }

  lag(infos: readonly TopicInfo[]): void {
    for (const t of infos) for (const g of t.groups) this.lagGauge.set({ topic: t.topic, group: g.group }, g.pending);
  }
}
