import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { VERSION } from '../version.js';

/** An OpenAPI document, as @fastify/swagger produces it. */
type OpenApiDocument = { paths?: Record<string, Record<string, { summary?: string; tags?: string[] }>> };

/**
 * Collects the admin port's routes into an OpenAPI document. Register it before any route, so
 * every route registered afterwards is in the document.
 *
 * @example
 * ```ts
 * await registerOpenApi(app);
 * await app.register(registryRoutes, …);
 * ```
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: { title: 'Portico admin API', version: VERSION },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
}

/**
 * `/docs` on the admin port: an HTML index of both surfaces' operations, with their OpenAPI
 * documents at `/docs/openapi.json` (admin port) and `/docs/public/openapi.json` (public port's
 * platform endpoints). A page without scripts, so it needs nothing from a CDN.
 *
 * @example
 * ```ts
 * docsRoutes(app, () => publicApp.swagger());
 * ```
 */
export function docsRoutes(app: FastifyInstance, publicDocument?: () => unknown): void {
  const admin = () => app.swagger() as OpenApiDocument;
  const publicDoc = () =>
    (publicDocument?.() ?? {
      openapi: '3.0.3',
      info: { title: 'none', version: VERSION },
      paths: {},
    }) as OpenApiDocument;
  const hidden = { schema: { hide: true } };
  app.get('/docs/openapi.json', hidden, async () => admin());
  app.get('/docs/public/openapi.json', hidden, async () => publicDoc());
  app.get('/docs', hidden, async (_request, reply) => {
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
    return page([
      ['Public port', '/docs/public/openapi.json', publicDoc()],
      ['Admin port', '/docs/openapi.json', admin()],
    ]);
  });
}

function page(surfaces: [string, string, OpenApiDocument][]): string {
  const sections = surfaces.map(([title, href, doc]) => {
    const rows = Object.entries(doc.paths ?? {}).flatMap(([path, operations]) =>
      Object.entries(operations).map(
        ([method, operation]) =>
          `<tr><td><code>${escapeHtml(method.toUpperCase())}</code></td><td><code>${escapeHtml(path)}</code></td><td>${escapeHtml(operation.summary ?? '')}</td></tr>`,
      ),
    );
    return `<h2>${escapeHtml(title)}</h2><p><a href="${href}">${href}</a></p><table>${rows.join('')}</table>`;
  });
  return `<!doctype html><html><head><meta charset="utf-8"><title>Portico API</title><style>body{font-family:sans-serif;margin:2em}td{padding:2px 12px 2px 0;vertical-align:top}</style></head><body><h1>Portico API ${escapeHtml(VERSION)}</h1>${sections.join('')}</body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
