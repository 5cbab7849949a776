import type { FastifyInstance } from 'fastify';

/** The exposition text of the process's metrics. */
export type MetricsText = () => Promise<{ contentType: string; body: string }>;

/**
 * `GET /metrics` on the admin port: Prometheus text for a scraper. Like the probes it needs no
 * credential: the admin port listens on loopback unless configured otherwise, and the text holds
 * counts and service names, no secrets.
 *
 * @example
 * ```ts
 * metricsRoute(app, () => metrics.text());
 * ```
 */
export function metricsRoute(app: FastifyInstance, text: MetricsText): void {
  app.get(
    '/metrics',
    { schema: { tags: ['observability'], summary: 'Metrics in the Prometheus text format' } },
    async (_request, reply) => {
      const { contentType, body } = await text();
      return reply.headers(metricsHeaders(contentType)).send(body);
    },
  );
}

/**
 * The headers of a `/metrics` answer, from either admin server.
 *
 * @example
 * ```ts
 * res.writeHead(200, metricsHeaders(contentType)).end(body);
 * ```
 */
export function metricsHeaders(contentType: string): Record<string, string> {
  // Every scrape must see the current values.
  return { 'content-type': contentType, 'cache-control': 'no-store' };
}
