import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PublicMount } from '../gateway/gateway-server.js';
import { sendError } from '../http/envelope-response.js';
import { requestIdFrom } from '../http/request-id.js';
import { DOCS_PAGE_CSP, renderDocsPage } from './docs-page.js';
import type { OpenApiAggregator } from './openapi-aggregator.js';

/** Where the public port serves the merged document and its page. */
export const OPENAPI_PATHS = { document: '/openapi.json', page: '/docs' } as const;

/**
 * `GET /openapi.json` (the merged document, with an ETag: `If-None-Match` answers 304) and
 * `GET /docs` (its HTML page) on the public port. Both are answered from the aggregator's cache.
 *
 * @example
 * ```ts
 * createGateway({ ..., mounts: [openapiMount(aggregator)] });
 * ```
 */
export function openapiMount(aggregator: OpenApiAggregator): PublicMount {
  let page: { etag: string; html: string } | undefined;
  return {
    paths: [OPENAPI_PATHS.document, OPENAPI_PATHS.page],
    handler(req: IncomingMessage, res: ServerResponse) {
      const requestId = requestIdFrom(req.headers['x-request-id']);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        sendError(res, requestId, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed here; use GET`);
        return;
      }
      const merged = aggregator.current();
      const isPage = (req.url ?? '').split('?')[0] === OPENAPI_PATHS.page;
      const etag = isPage ? `"page-${merged.etag.slice(1)}` : merged.etag;
      res.setHeader('x-request-id', requestId);
      res.setHeader('etag', etag);
      res.setHeader('cache-control', 'no-cache');
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304);
        res.end();
        return;
      }
      let body: string;
      if (isPage) {
        if (page?.etag !== etag) page = { etag, html: renderDocsPage(merged.document, OPENAPI_PATHS.document) };
        body = page.html;
        res.setHeader('content-type', 'text/html; charset=utf-8');
        res.setHeader('content-security-policy', DOCS_PAGE_CSP);
      } else {
        body = merged.json;
        res.setHeader('content-type', 'application/json; charset=utf-8');
      }
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('content-length', Buffer.byteLength(body));
      res.writeHead(200);
      res.end(req.method === 'HEAD' ? undefined : body);
    },
  };
}
