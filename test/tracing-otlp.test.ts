/**
 * Tracing as an operator turns it on: a real `portico start` with `PORTICO_TRACING_ENABLED` and
 * `PORTICO_OTLP_ENDPOINT`, exporting OTLP/HTTP JSON to a tiny collector in this test, and the echo
 * fixture reporting the `traceparent` it received.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Json, request, waitUntil } from './support/http.js';
import { type PorticoProc, type ServiceProc, startPortico, startService } from './support/processes.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const TRACEPARENT = `00-${TRACE_ID}-b7ad6b7169203331-01`;

/** An OTLP/HTTP receiver: keeps every JSON body posted to /v1/traces. */
class Collector {
  readonly requests: Json[] = [];
  private server: Server | undefined;
  port = 0;

  async listen(port = 0): Promise<void> {
    this.server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      if (req.method === 'POST' && req.url === '/v1/traces') {
        this.requests.push({
          contentType: req.headers['content-type'],
          body: JSON.parse(Buffer.concat(chunks).toString()),
        });
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** Every span received, with the attributes of its resource and its own as plain objects. */
  spans(): Json[] {
    return this.requests.flatMap(({ body }) =>
      (body.resourceSpans ?? []).flatMap((resourceSpans: Json) =>
        resourceSpans.scopeSpans.flatMap((scopeSpans: Json) =>
          scopeSpans.spans.map((span: Json) => ({
            ...span,
            resource: attributesOf(resourceSpans.resource.attributes),
            attributes: attributesOf(span.attributes),
          })),
        ),
      ),
    );
  }
}

function attributesOf(list: Json[] = []): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const { key, value } of list) values[key] = value.stringValue ?? value.intValue ?? value.boolValue;
  return values;
}

describe('tracing exported over OTLP/HTTP by a Portico process', () => {
  const collector = new Collector();
  let portico: PorticoProc;
  let echo: ServiceProc;

  beforeAll(async () => {
    await collector.listen();
    portico = await startPortico({
      PORTICO_TRACING_ENABLED: 'true',
      PORTICO_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}/v1/traces`,
      OTEL_SERVICE_NAME: 'edge',
      // The batch processor's standard setting: export within 100 ms rather than 5 s.
      OTEL_BSP_SCHEDULE_DELAY: '100',
      // Bounds the exporter's retries of a refused export, so the outage shows within a second.
      OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
    });
    echo = await startService('echo-service', portico.adminUrl, { INSTANCE_ID: 'echo-otlp' });
    await waitUntil(async () => (await request(`${portico.publicUrl}/api/echo/`)).status === 200);
  });

  afterAll(async () => {
    await echo?.stop('SIGKILL');
    await portico?.stop();
    await collector.close();
  });

  it('exports the request and try spans, and the instance receives the try as its parent', async () => {
    const { status, body } = await request(`${portico.publicUrl}/api/echo/a?b=1`, {
      headers: { traceparent: TRACEPARENT },
    });
    expect(status).toBe(200);
    const received = String(body.data.headers.traceparent);
    const [, traceId, parentId] = received.split('-');
    expect(traceId).toBe(TRACE_ID);

    await waitUntil(() => collector.spans().filter((span) => span.traceId === TRACE_ID).length >= 2);
    expect(collector.requests[0].contentType).toBe('application/json');
    const spans = collector.spans().filter((span) => span.traceId === TRACE_ID);
    // OTLP span kinds: 2 = SERVER, 3 = CLIENT.
    const server = spans.find((span) => span.kind === 2);
    const tryOne = spans.find((span) => span.kind === 3);
    expect(server).toMatchObject({ name: 'GET /api/echo', parentSpanId: 'b7ad6b7169203331' });
    expect(server.resource['service.name']).toBe('edge');
    expect(server.attributes).toMatchObject({ 'portico.service': 'echo', 'portico.instance': 'echo-otlp' });
    expect(tryOne).toMatchObject({ name: 'GET echo', parentSpanId: server.spanId });
    expect(parentId).toBe(tryOne.spanId);
  });

  it("writes the request's trace id in its access line, a new one for a malformed traceparent", async () => {
    const { body } = await request(`${portico.publicUrl}/api/echo/log`, {
      headers: { traceparent: 'malformed', 'x-request-id': 'tracing-access-line' },
    });
    const [, newTraceId] = String(body.data.headers.traceparent).split('-');
    expect(newTraceId).toMatch(/^[0-9a-f]{32}$/);
    const line = await portico.waitForLine(/"requestId":"tracing-access-line".*"msg":"request"/);
    expect(JSON.parse(line).traceId).toBe(newTraceId);
  });

  it('logs a collector outage once, and its end', async () => {
    const port = collector.port;
    await collector.close();
    await request(`${portico.publicUrl}/api/echo/down`);
    await request(`${portico.publicUrl}/api/echo/down`);
    await portico.waitForLine(/trace export failed/, 10_000);
    await collector.listen(port);
    await request(`${portico.publicUrl}/api/echo/up`);
    await portico.waitForLine(/trace export works again/, 10_000);
    expect(portico.lines.filter((line) => line.includes('trace export failed'))).toHaveLength(1);
  });
});
