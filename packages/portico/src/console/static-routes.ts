import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Where `npm run build` writes the console (packages/console/dist), from packages/portico/dist/console. */
export const CONSOLE_DIST = fileURLToPath(new URL('../../../console/dist', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

/**
 * The strict policy of every console answer: only our own scripts and stylesheets, no inline
 * script or style element, no framing, no fetch elsewhere.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer');
}

/**
 * Serves the built console under `/console/`: hashed `assets/` immutable for a year, the page
 * itself `no-cache` (so a new build is seen at once), and any other path answered with the page
 * (the router's history mode). Without a build, a clear 503 says how to make one.
 *
 * @example
 * ```ts
 * staticRoutes(app); // GET /console/ → index.html
 * ```
 */
export function staticRoutes(app: FastifyInstance, dist = CONSOLE_DIST): void {
  const files = new Map<string, Buffer>();
  const read = (path: string): Buffer | undefined => {
    const cached = files.get(path);
    if (cached) return cached;
    const full = normalize(join(dist, path));
    if (!full.startsWith(dist + sep) || !existsSync(full)) return undefined;
    try {
      const body = readFileSync(full);
      files.set(path, body);
      return body;
    } catch {
      return undefined; // a directory, or a file removed since
    }
  };
  app.get('/console', (_request, reply) => reply.redirect('/console/'));
  app.get<{ Params: { '*': string } }>('/console/*', { schema: { hide: true } }, (request, reply) => {
    secure(reply);
    const path = request.params['*'];
    const asset = path !== '' && path !== 'index.html' ? read(path) : undefined;
    if (asset) {
      const immutable = path.startsWith('assets/');
      reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      return reply.type(TYPES[extname(path)] ?? 'application/octet-stream').send(asset);
    }
    const page = read('index.html');
    if (!page) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The console was not built. Run `npm run build` at the repository root, then reload.\n');
    }
    return reply.header('cache-control', 'no-cache').type(TYPES['.html']!).send(page);
  });
}
