import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postJson, request, waitUntil } from './support/http.js';
import { type PorticoProc, type ServiceProc, startPortico, startService } from './support/processes.js';
import { type Scrape, scrape } from './support/prometheus.js';

/**
 * Metrics and access log of a real Portico process after real traffic: the counts match what was
 * sent, histograms have their buckets, labels stay bounded whatever the callers send, resilience
 * metrics move when an instance fails, every access line carries its fields, and the Grafana
 * dashboard reads only metrics that /metrics exports.
 */

const GATEWAY_SERVICES = /^(echo|_unknown|_platform)$/;

describe('metrics after real traffic', () => {
  let portico: PorticoProc;
  let echo: ServiceProc;
  let before: Scrape;

  beforeAll(async () => {
    portico = await startPortico();
    echo = await startService('echo-service', portico.adminUrl, { INSTANCE_ID: 'metrics-echo' });
    await waitUntil(async () => (await request(`${portico.publicUrl}/api/echo/ready`)).status === 200);
    before = await scrape(portico.adminUrl);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([echo?.stop('SIGKILL'), portico?.stop('SIGKILL')]);
  });

  it('counts every request by service, method and status class, with latency buckets', async () => {
    for (let i = 0; i < 30; i++) expect((await request(`${portico.publicUrl}/api/echo/items/${i}`)).status).toBe(200);
    for (let i = 0; i < 10; i++) {
      expect((await request(`${portico.publicUrl}/api/echo/items`, { method: 'POST', body: 'x' })).status).toBe(200);
    }
    const delta = (after: Scrape, name: string, labels: Record<string, string>) =>
      after.value(name, labels) - before.value(name, labels);
    let after = await scrape(portico.adminUrl);
    await waitUntil(async () => {
      after = await scrape(portico.adminUrl);
      return delta(after, 'portico_gateway_requests_total', { service: 'echo', method: 'POST' }) >= 10;
    });
    const requests = { service: 'echo', status_class: '2xx' };
    expect(delta(after, 'portico_gateway_requests_total', { ...requests, method: 'GET' })).toBe(30);
    expect(delta(after, 'portico_gateway_requests_total', { ...requests, method: 'POST' })).toBe(10);
    expect(delta(after, 'portico_gateway_request_duration_seconds_count', requests)).toBe(40);
    expect(delta(after, 'portico_gateway_upstream_duration_seconds_count', { service: 'echo' })).toBe(40);

    const buckets = after.series('portico_gateway_request_duration_seconds_bucket', requests);
    expect(buckets.map((b) => b.labels.le)).toContain('+Inf');
    expect(buckets.length).toBeGreaterThanOrEqual(10);
    const counts = buckets.map((b) => b.value);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(buckets.at(-1)?.value).toBe(after.value('portico_gateway_request_duration_seconds_count', requests));
    expect(after.types.get('portico_gateway_request_duration_seconds')).toBe('histogram');

    expect(after.value('portico_registry_instances', { service: 'echo' })).toBe(1);
    expect(after.value('portico_registry_watchers')).toBeGreaterThanOrEqual(1);
    expect(after.value('portico_gateway_upstreams', { service: 'echo', state: 'in_rotation' })).toBe(1);
    expect(after.value('portico_gateway_breaker_state', { service: 'echo' })).toBe(0);
    expect(after.series('process_cpu_seconds_total')).toHaveLength(1);
    expect(after.value('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(after.value('portico_info', { role: 'all' })).toBe(1);
  });

  it('counts 50 unknown services under one label value, and never a path or a method of its own', async () => {
    const names = Array.from({ length: 50 }, () => `nope-${randomUUID().slice(0, 8)}`);
    for (const name of names) {
      expect((await request(`${portico.publicUrl}/api/${name}/users/${randomUUID()}`)).status).toBe(404);
    }
    expect((await request(`${portico.publicUrl}/api/echo/x`, { method: 'PROPFIND' })).status).toBe(200);
    let after = await scrape(portico.adminUrl);
    await waitUntil(async () => {
      after = await scrape(portico.adminUrl);
      const unknown = { service: '_unknown', code: 'NOT_FOUND' };
      return (
        after.value('portico_gateway_errors_total', unknown) - before.value('portico_gateway_errors_total', unknown) >=
        50
      );
    });
    const gatewaySeries = after.samples.filter((s) => s.name.startsWith('portico_gateway_'));
    const services = new Set(gatewaySeries.map((s) => s.labels.service).filter((v) => v !== undefined));
    expect([...services].filter((service) => !GATEWAY_SERVICES.test(service as string))).toEqual([]);
    const text = after.samples.map((s) => JSON.stringify(s.labels)).join('\n');
    for (const name of names) expect(text).not.toContain(name);
    expect(text).not.toContain('/users/');
    const methods = new Set(gatewaySeries.map((s) => s.labels.method).filter((v) => v !== undefined));
    expect(
      [...methods].every((m) =>
        ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'OTHER'].includes(m as string),
      ),
    ).toBe(true);
    expect(after.value('portico_gateway_requests_total', { service: 'echo', method: 'OTHER' })).toBe(1);
    expect(
      after.value('portico_gateway_requests_total', { service: '_unknown', method: 'GET', status_class: '4xx' }) -
        before.value('portico_gateway_requests_total', { service: '_unknown', method: 'GET', status_class: '4xx' }),
    ).toBe(50);
  });

  it('reports the store among the dependencies of /health', async () => {
    const health = await request(`${portico.publicUrl}/health`);
    expect(health.body.dependencies).toMatchObject({ store: 'healthy', registry: 'healthy', routes: 'healthy' });
  });

  it('counts logins by result', async () => {
    const wrong = await postJson(`${portico.publicUrl}/auth/login`, {
      tenant: 'platform',
      username: 'admin',
      password: 'not-the-password',
    });
    expect(wrong.status).toBe(401);
    let after = await scrape(portico.adminUrl);
    await waitUntil(async () => {
      after = await scrape(portico.adminUrl);
      return after.value('portico_identity_logins_total', { result: 'failure' }) >= 1;
    });
    expect(after.value('portico_identity_logins_total', { result: 'failure' })).toBe(1);
    expect(after.series('portico_identity_logins_total', { result: 'success' })).toHaveLength(1);
  });

  it('writes one access line per request with its fields', async () => {
    const id = `access-${randomUUID()}`;
    const reply = await request(`${portico.publicUrl}/api/echo/orders/7?secret=query-value`, {
      headers: { 'x-request-id': id },
    });
    expect(reply.status).toBe(200);
    const line = JSON.parse(await portico.waitForLine(new RegExp(`"requestId":"${id}".*"msg":"request"`)));
    expect(line).toMatchObject({
      level: 30,
      requestId: id,
      method: 'GET',
      path: '/api/echo/orders/7',
      route: '/api/{service}',
      service: 'echo',
      instance: 'metrics-echo',
      status: 200,
      retries: 0,
      cacheHit: false,
      msg: 'request',
    });
    expect(line.bytes).toBeGreaterThan(reply.text.length);
    expect(line.durationMs).toBeGreaterThan(0);
    expect(line.upstreamMs).toBeGreaterThan(0);
    expect(line.upstreamMs).toBeLessThanOrEqual(line.durationMs);
    // The query string is where tokens travel in links: it is never logged.
    expect(JSON.stringify(line)).not.toContain('query-value');

    const missing = `access-${randomUUID()}`;
    await request(`${portico.publicUrl}/api/nowhere/x`, { headers: { 'x-request-id': missing } });
    const notFound = JSON.parse(await portico.waitForLine(new RegExp(`"requestId":"${missing}"`)));
    expect(notFound).toMatchObject({ status: 404, service: 'nowhere', error: 'NOT_FOUND', route: '/api/{service}' });
  });

  it('serves a Grafana dashboard whose queries use only metrics that /metrics exports', async () => {
    const dashboard = JSON.parse(readFileSync(new URL('../deploy/grafana/portico.json', import.meta.url), 'utf8'));
    const queries: string[] = [
      ...dashboard.panels.flatMap((panel: { targets?: { expr: string }[] }) =>
        (panel.targets ?? []).map((t) => t.expr),
      ),
      ...dashboard.templating.list
        .map((variable: { query?: unknown }) => variable.query)
        .filter((query: unknown): query is string => typeof query === 'string'),
    ];
    expect(queries.length).toBeGreaterThan(15);
    const used = new Set(queries.flatMap((query) => query.match(/\b(portico|process|nodejs)_[a-z0-9_]+/g) ?? []));
    expect(used.size).toBeGreaterThan(10);
    const exported = await scrape(portico.adminUrl);
    expect([...used].filter((name) => !exported.exports(name))).toEqual([]);
  });
});

describe('resilience metrics', () => {
  const running: { stop(signal?: NodeJS.Signals): Promise<unknown> }[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.stop('SIGKILL')));
  });

  it('retries, ejections and the breaker state move when instances fail', async () => {
    const portico = await startPortico();
    running.push(portico);
    const [bad, good] = await Promise.all(
      ['fail-a', 'fail-b'].map((id) => startService('echo-service', portico.adminUrl, { INSTANCE_ID: id })),
    );
    running.push(bad as ServiceProc, good as ServiceProc);
    await waitUntil(async () => {
      const { body } = await request(`${portico.adminUrl}/v1/gateway/services`);
      return body.data.find((s: { name: string }) => s.name === 'echo')?.instances.length === 2;
    });
    await postJson(`${(bad as ServiceProc).controlUrl}/behaviour`, { failStatus: 503 });
    // One instance failing: its 503s are retried on the other, and it is ejected.
    for (let i = 0; i < 12; i++) expect((await request(`${portico.publicUrl}/api/echo/x`)).status).toBe(200);
    const oneFailing = await scrape(portico.adminUrl);
    expect(oneFailing.value('portico_gateway_retries_total', { service: 'echo' })).toBeGreaterThanOrEqual(1);
    expect(oneFailing.value('portico_gateway_ejections_total', { service: 'echo' })).toBe(1);
    expect(oneFailing.value('portico_gateway_upstreams', { service: 'echo', state: 'out' })).toBe(1);
    expect(oneFailing.value('portico_gateway_breaker_state', { service: 'echo' })).toBe(0);

    // Both failing: the service's breaker opens (5 failed requests in a row by default).
    await postJson(`${(good as ServiceProc).controlUrl}/behaviour`, { failStatus: 503 });
    for (let i = 0; i < 8; i++) await request(`${portico.publicUrl}/api/echo/x`);
    const bothFailing = await scrape(portico.adminUrl);
    expect(bothFailing.value('portico_gateway_breaker_state', { service: 'echo' })).toBe(2);
    expect(bothFailing.value('portico_gateway_breaker_opens_total', { service: 'echo' })).toBe(1);
    expect(
      bothFailing.value('portico_gateway_requests_total', { service: 'echo', status_class: '5xx' }),
    ).toBeGreaterThan(0);
    expect(
      bothFailing.value('portico_gateway_errors_total', { service: 'echo', code: 'SERVICE_UNAVAILABLE' }),
    ).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
