import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HotCounter, HotHistogram } from './hot-series.js';
import { GatewayFamilies, methodIndex, ServiceMetrics, statusClassIndex } from './service-metrics.js';

describe('hot series', () => {
  it('export through a prom-client registry beside its own metrics, in the same text', async () => {
    const registry = new Registry();
    const counter = new HotCounter('t_requests_total', 'Requests.', ['service']).registerIn(registry);
    const histogram = new HotHistogram('t_seconds', 'Time.', ['service'], [0.1, 1]).registerIn(registry);
    new Counter({ name: 't_plain_total', help: 'Plain.', registers: [registry] }).inc(2);
    const orders = counter.cell(['orders']);
    orders.inc();
    orders.inc();
    expect(counter.cell(['orders'])).toBe(orders);
    const latency = histogram.cell(['orders']);
    for (const value of [0.05, 0.1, 0.5, 3]) latency.observe(value);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE t_requests_total counter\nt_requests_total{service="orders"} 2');
    expect(text).toContain('t_seconds_bucket{service="orders",le="0.1"} 2');
    expect(text).toContain('t_seconds_bucket{service="orders",le="1"} 3');
    expect(text).toContain('t_seconds_bucket{service="orders",le="+Inf"} 4');
    expect(text).toContain('t_seconds_sum{service="orders"} 3.65');
    expect(text).toContain('t_seconds_count{service="orders"} 4');
    expect(text).toContain('t_plain_total 2');
  });

  it('fold methods and statuses into fixed label sets', () => {
    expect(methodIndex('GET')).toBe(0);
    expect(methodIndex('PROPFIND')).toBe(7);
    expect(methodIndex(undefined)).toBe(7);
    expect([101, 200, 304, 404, 499, 503, 999, 0].map(statusClassIndex)).toEqual([0, 1, 2, 3, 3, 4, 4, 0]);
  });

  it('makes a service cell on its first use only, so an idle service exports nothing', async () => {
    const registry = new Registry();
    const families = new GatewayFamilies();
    for (const family of Object.values(families)) family.registerIn(registry);
    const idle = new ServiceMetrics('idle', families);
    const busy = new ServiceMetrics('busy', families);
    busy.request(methodIndex('POST'), 201, 0.002);
    busy.error('RATE_LIMITED');
    expect(idle.service).toBe('idle');
    const text = await registry.metrics();
    expect(text).not.toContain('"idle"');
    expect(text).toContain('portico_gateway_requests_total{service="busy",method="POST",status_class="2xx"} 1');
    expect(text).toContain('portico_gateway_errors_total{service="busy",code="RATE_LIMITED"} 1');
  });
});
