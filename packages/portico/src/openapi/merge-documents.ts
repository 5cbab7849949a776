import type { OpenApiDocument } from '@portico/sdk';
import { namespaceDocument } from './namespace-document.js';

/** One service's document, as the registry holds it. */
export interface ServiceDocument {
  service: string;
  basePath: string;
  /** The instance's version, shown in the service's tag. */
  version: string;
  document: OpenApiDocument;
}

/** The merged document's own `info`. */
export interface MergedInfo {
  title: string;
  version: string;
}

/**
 * Merges the documents of every service into one, as callers see the API through the gateway:
 * each service's paths under `/api/{service}`, its components renamed `{service}.{Name}` (two
 * services may both have an `Order`), one tag per service. The merged version is 3.1.0 when any
 * service sent a 3.1 document, else 3.0.3. Paths a service left outside its base path are listed
 * in `x-portico-unreachable`, by service.
 *
 * @example
 * ```ts
 * const merged = mergeDocuments([{ service: 'orders', basePath: '/', version: '1.0.0', document }], {
 *   title: 'Portico', version: '1.0.0',
 * });
 * ```
 */
export function mergeDocuments(services: readonly ServiceDocument[], info: MergedInfo): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const components: Record<string, Record<string, unknown>> = {};
  const webhooks: Record<string, unknown> = {};
  const tags: { name: string; description: string }[] = [];
  const unreachable: Record<string, string[]> = {};
  let v31 = false;
  for (const entry of [...services].sort((a, b) => a.service.localeCompare(b.service))) {
    const part = namespaceDocument(entry.service, entry.basePath, entry.document);
    if (entry.document.openapi.startsWith('3.1')) v31 = true;
    // Distinct services own distinct `/api/{service}` prefixes and `{service}.` names: no collisions.
    Object.assign(paths, part.paths);
    Object.assign(webhooks, part.webhooks);
    for (const [section, entries] of Object.entries(part.components)) {
      components[section] = { ...components[section], ...entries };
    }
    const { title, description } = entry.document.info;
    tags.push({
      name: entry.service,
      description: `${title} ${entry.document.info.version}${typeof description === 'string' ? ` — ${description}` : ''}`,
    });
    if (part.unreachable.length > 0) unreachable[entry.service] = part.unreachable;
  }
  return {
    openapi: v31 ? '3.1.0' : '3.0.3',
    info: {
      title: info.title,
      version: info.version,
      description: `The services behind this gateway: ${tags.map((tag) => tag.name).join(', ') || 'none yet'}.`,
    },
    tags,
    paths,
    ...(Object.keys(components).length > 0 ? { components } : {}),
    ...(v31 && Object.keys(webhooks).length > 0 ? { webhooks } : {}),
    ...(Object.keys(unreachable).length > 0 ? { 'x-portico-unreachable': unreachable } : {}),
  };
}
