import { createHash } from 'node:crypto';
import { isObject } from './validate-document.js';

const STYLE =
  'body{font-family:system-ui,sans-serif;margin:2em;max-width:72em;color:#222}h2{border-bottom:1px solid #ccc;padding-bottom:.2em}' +
  'details{margin:.3em 0;border:1px solid #ddd;border-radius:4px;padding:.3em .6em}summary{cursor:pointer}' +
  'code.m{display:inline-block;min-width:4.5em;font-weight:bold}table{border-collapse:collapse;margin:.4em 0}' +
  'td,th{text-align:left;padding:2px 10px 2px 0;vertical-align:top}.d{color:#555}';

/**
 * The page's Content-Security-Policy: no script at all, and only this page's own stylesheet
 * (by hash, not `unsafe-inline`), so it passes the strictest policy a site would set.
 */
export const DOCS_PAGE_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * Renders the merged document as one self-contained HTML page: per service (tag), every
 * operation with its summary, parameters, request body and responses, and a link to the JSON.
 * No script and nothing from a CDN: the document is rendered here, on the server.
 *
 * @example
 * ```ts
 * res.setHeader('content-security-policy', DOCS_PAGE_CSP);
 * res.end(renderDocsPage(merged, '/openapi.json'));
 * ```
 */
export function renderDocsPage(document: Record<string, unknown>, jsonHref: string): string {
  const info = isObject(document.info) ? document.info : {};
  const tags = Array.isArray(document.tags) ? (document.tags as { name: string; description?: string }[]) : [];
  const byTag = new Map<string, string[]>(tags.map((tag) => [tag.name, []]));
  for (const [path, item] of Object.entries(isObject(document.paths) ? document.paths : {})) {
    if (!isObject(item)) continue;
    for (const method of METHODS) {
      const operation = item[method];
      if (!isObject(operation)) continue;
      const tag = Array.isArray(operation.tags) ? String(operation.tags[0]) : '';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)?.push(renderOperation(method, path, operation));
    }
  }
  const sections = [...byTag.entries()].map(([name, operations]) => {
    const description = tags.find((tag) => tag.name === name)?.description ?? '';
    return `<section id="${esc(name)}"><h2>${esc(name)}</h2><p class="d">${esc(description)}</p>${operations.join('') || '<p>No operations.</p>'}</section>`;
  });
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(String(info.title ?? 'API'))}</title><style>${STYLE}</style></head><body><h1>${esc(String(info.title ?? 'API'))} <small>${esc(String(info.version ?? ''))}</small></h1><p class="d">${esc(String(info.description ?? ''))}</p><p>OpenAPI document: <a href="${esc(jsonHref)}">${esc(jsonHref)}</a></p>${sections.join('')}</body></html>`;
}

function renderOperation(method: string, path: string, operation: Record<string, unknown>): string {
  const parameters = Array.isArray(operation.parameters) ? operation.parameters.filter(isObject) : [];
  const rows = parameters.map(
    (p) =>
      `<tr><td><code>${esc(String(p.name ?? p.$ref ?? ''))}</code></td><td>${esc(String(p.in ?? ''))}</td><td>${p.required === true ? 'required' : ''}</td><td class="d">${esc(String(p.description ?? ''))}</td></tr>`,
  );
  const responses = Object.entries(isObject(operation.responses) ? operation.responses : {}).map(
    ([status, response]) =>
      `<tr><td><code>${esc(status)}</code></td><td class="d">${esc(String((isObject(response) && (response.description ?? response.$ref)) || ''))}</td><td>${esc(schemaRefs(response).join(', '))}</td></tr>`,
  );
  const body = isObject(operation.requestBody) ? schemaRefs(operation.requestBody) : [];
  return `<details><summary><code class="m">${esc(method.toUpperCase())}</code> <code>${esc(path)}</code> ${esc(String(operation.summary ?? ''))}</summary>${operation.description ? `<p class="d">${esc(String(operation.description))}</p>` : ''}${operation.operationId ? `<p>operationId <code>${esc(String(operation.operationId))}</code></p>` : ''}${rows.length > 0 ? `<table><tr><th>parameter</th><th>in</th><th></th><th></th></tr>${rows.join('')}</table>` : ''}${body.length > 0 ? `<p>body: ${esc(body.join(', '))}</p>` : ''}${responses.length > 0 ? `<table><tr><th>response</th><th></th><th>schema</th></tr>${responses.join('')}</table>` : ''}</details>`;
}

/** The component names a request body or response points at, for a one-line summary. */
function schemaRefs(node: unknown, found: string[] = []): string[] {
  if (found.length >= 8) return found;
  if (Array.isArray(node)) for (const item of node) schemaRefs(item, found);
  else if (isObject(node)) {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') found.push(value.slice(value.lastIndexOf('/') + 1));
      else schemaRefs(value, found);
    }
  }
  return found;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
