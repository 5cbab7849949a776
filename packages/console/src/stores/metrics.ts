import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { parseMetrics, quantile, type ServiceCounters, serviceCounters } from '../lib/prometheus';

/** One point of a service's live series, per second over the last scrape interval. */
export interface Point {
  at: number;
  rps: number;
  errors: number;
  rateLimited: number;
  p99Ms: number | null;
}

/** What the overview shows per service: its series and the latest breaker state. */
export interface ServiceSeries {
  points: Point[];
  breaker: number;
}

const INTERVAL_MS = 2000;
const KEEP = 90;

/**
 * Request rate, 5xx rate, rate-limit rejections and p99 per service, from Portico's own
 * `/metrics` on the admin port, scraped every 2 s while the overview is open (deltas between
 * scrapes; the last three minutes kept).
 */
export const useMetrics = defineStore('metrics', () => {
  const series = shallowRef(new Map<string, ServiceSeries>());
  const failed = ref(false);
  let last: { at: number; counters: Map<string, ServiceCounters> } | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;

  async function scrape(): Promise<void> {
    try {
      const response = await fetch('/metrics', { credentials: 'same-origin' });
      if (!response.ok) throw new Error(String(response.status));
      const at = Date.now();
      const counters = serviceCounters(parseMetrics(await response.text()));
      if (last) {
        const seconds = Math.max((at - last.at) / 1000, 0.001);
        const next = new Map(series.value);
        for (const [service, now] of counters) {
          const before = last.counters.get(service);
          const entry = next.get(service) ?? { points: [], breaker: 0 };
          const delta = (pick: (c: ServiceCounters) => number) =>
            Math.max(0, pick(now) - (before ? pick(before) : 0)) / seconds;
          const p99 = quantile(0.99, before?.buckets ?? new Map(), now.buckets);
          const point: Point = {
            at,
            rps: delta((c) => c.requests),
            errors: delta((c) => c.errors5xx),
            rateLimited: delta((c) => c.rateLimited),
            p99Ms: p99 === null ? null : p99 * 1000,
          };
          next.set(service, { points: [...entry.points, point].slice(-KEEP), breaker: now.breaker });
        }
        series.value = next;
      }
      last = { at, counters };
      failed.value = false;
    } catch {
      failed.value = true;
    }
  }

  function start(): void {
    if (timer) return;
    void scrape();
    timer = setInterval(() => void scrape(), INTERVAL_MS);
  }

  function stop(): void {
    clearInterval(timer);
    timer = undefined;
  }

  return { series, failed, start, stop };
});
