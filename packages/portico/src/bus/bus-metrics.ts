import type { TopicInfo } from '@portico/sdk';
import { Counter, Gauge, type Registry } from 'prom-client';

/** How long a scrape waits for the bus's figures before it serves the last ones it had. */
const SCRAPE_TIMEOUT_MS = 2000;

/**
 * Bus counters per topic and group (published; delivered, acked, retried, dead by outcome) and
 * gauges of each group's backlog (lag, in flight, dead letters), computed when `/metrics` is
 * scraped from the bus's own figures — never on a publish or a gateway request.
 *
 * @example
 * ```ts
 * const metrics = new BusMetrics(registry);
 * metrics.published('order.verified');
 * metrics.watch(() => bus.topics()); // the gauges read it at scrape time
 * ```
 */
export class BusMetrics {
  private readonly publishedTotal: Counter<'topic'>;
  private readonly settledTotal: Counter<'topic' | 'group' | 'outcome'>;
  private readonly lagGauge: Gauge<'topic' | 'group'>;
  private readonly inFlightGauge: Gauge<'topic' | 'group'>;
  private readonly deadGauge: Gauge<'topic' | 'group'>;
  private source: (() => Promise<readonly TopicInfo[]>) | undefined;
  /** The look at the bus in progress: the three gauges of one scrape (collected together) share it. */
  private reading: Promise<void> | undefined;
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
    const refresh = () => this.refresh();
    const gauge = (name: string, help: string) =>
      new Gauge({ name, help, labelNames: ['topic', 'group'], registers: [registry], collect: refresh });
    this.lagGauge = gauge('portico_bus_lag', 'Messages of a topic a group has not acked yet (pending + in flight).');
    this.inFlightGauge = gauge('portico_bus_in_flight', 'Messages delivered to a group and waiting for an ack.');
    this.deadGauge = gauge('portico_bus_dead_letters', 'Dead letters a group holds.');
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

  /** Where the gauges read the figures of every topic at scrape time (the bus's `topics()`). */
  watch(source: () => Promise<readonly TopicInfo[]>): void {
    this.source = source;
  }

  /** Sets the gauges from these figures; groups no longer listed disappear. */
  lag(infos: readonly TopicInfo[]): void {
    for (const gauge of [this.lagGauge, this.inFlightGauge, this.deadGauge]) gauge.reset();
    for (const t of infos) {
      for (const g of t.groups) {
        const labels = { topic: t.topic, group: g.group };
        this.lagGauge.set(labels, g.lag);
        this.inFlightGauge.set(labels, g.inFlight);
        this.deadGauge.set(labels, g.deadLetters);
      }
    }
  }

  /** One look at the bus per scrape (the three gauges share it); a slow or failing bus keeps the last values. */
  private refresh(): Promise<void> {
    const source = this.source;
    if (!source) return Promise.resolve();
    if (this.reading) return this.reading;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), SCRAPE_TIMEOUT_MS);
    });
    const read = Promise.race([source(), timeout])
      .then((infos) => {
        if (infos) this.lag(infos);
      })
      .catch(() => undefined)
      .finally(() => {
        clearTimeout(timer);
        this.reading = undefined;
      });
    this.reading = read;
    return read;
  }
}
