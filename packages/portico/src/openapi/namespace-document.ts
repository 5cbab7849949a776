import type { OpenApiDocument } from '@portico/sdk';
import { COMPONENT_SECTIONS, isObject, pointerOf, pointerTokens } from './validate-document.js';

/** The methods of a path item that are operations. */
const OPERATIONS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** One service's part of the merged document. */
export interface NamespacedPart {
  /** Paths as callers reach them through the gateway: `/api/{service}/...`. */
  paths: Record<string, Record<string, unknown>>;
  /** Components by section, each name prefixed `{service}.`. */
  components: Record<string, Record<string, unknown>>;
  webhooks: Record<string, unknown>;
  /** The service's paths outside its `basePath`: the gateway cannot reach them, so they are left out. */
  unreachable: string[];
}

/**
 * Rewrites one service's document for the merged one: its paths move under `/api/{service}`
 * (the gateway forwards `/api/{service}/{rest}` to `{basePath}/{rest}`, so a path under the base
 * path loses it), every component is renamed `{service}.{Name}` and every `$ref`, security
 * requirement, discriminator mapping and link follows, operation ids become
 * `{service}.{operationId}`, and every operation is tagged with the service. The input is not
 * changed; the output shares nothing with it.
 *
 * @example
 * ```ts
 * const part = namespaceDocument('orders', '/', document);
 * part.paths['/api/orders/orders/{id}']; // the document's /orders/{id}
 * ```
 */
export function namespaceDocument(service: string, basePath: string, document: OpenApiDocument): NamespacedPart {
  const prefix = `${service}.`;
  const pathMap = new Map<string, string>();
  const unreachable: string[] = [];
  for (const path of Object.keys(document.paths ?? {})) {
    const publicPath = gatewayPath(service, basePath, path);
    if (publicPath === undefined) unreachable.push(path);
    else pathMap.set(path, publicPath);
  }
  const rewriteRef = (ref: string): string => {
    if (!ref.startsWith('#/')) return ref;
    const tokens = pointerTokens(ref);
    const [root, section, name] = tokens;
    if (root === 'components' && section !== undefined && name !== undefined) {
      return pointerOf(['components', section, prefix + name, ...tokens.slice(3)]);
    }
    if (root === 'paths' && section !== undefined && pathMap.has(section)) {
      return pointerOf(['paths', pathMap.get(section) as string, ...tokens.slice(2)]);
    }
    if (root === 'webhooks' && section !== undefined)
      return pointerOf(['webhooks', prefix + section, ...tokens.slice(2)]);
    return ref;
  };
  const copy = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(copy);
    if (!isObject(node)) return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') out[key] = rewriteRef(value);
      else if (key === 'discriminator' && isObject(value)) out[key] = discriminator(value);
      else if (key === 'links' && isObject(value)) out[key] = links(value);
      else out[key] = copy(value);
    }
    return out;
  };
  const discriminator = (value: Record<string, unknown>) => {
    const out = copy(value) as Record<string, unknown>;
    if (isObject(value.mapping)) {
      out.mapping = Object.fromEntries(
        Object.entries(value.mapping).map(([key, target]) => [
          key,
          typeof target !== 'string' ? target : target.startsWith('#/') ? rewriteRef(target) : prefix + target,
        ]),
      );
    }
    return out;
  };
  const links = (value: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(value).map(([name, link]) => {
        const out = copy(link);
        if (isObject(out) && typeof out.operationId === 'string') out.operationId = prefix + out.operationId;
        return [name, out];
      }),
    );
  const security = (requirements: unknown) =>
    Array.isArray(requirements)
      ? requirements.map((requirement) =>
          isObject(requirement)
            ? Object.fromEntries(Object.entries(requirement).map(([scheme, scopes]) => [prefix + scheme, copy(scopes)]))
            : requirement,
        )
      : requirements;
  const pathItem = (item: unknown): Record<string, unknown> => {
    const out = copy(item) as Record<string, unknown>;
    // A service's own servers are its internal addresses: through the gateway they are wrong.
    delete out.servers;
    for (const [method, operation] of Object.entries(out)) {
      if (!OPERATIONS.has(method) || !isObject(operation)) continue;
      delete operation.servers;
      if (typeof operation.operationId === 'string') operation.operationId = prefix + operation.operationId;
      operation.tags = [service];
      if (operation.security !== undefined) operation.security = security(operation.security);
      else if (document.security !== undefined) operation.security = security(document.security);
    }
    return out;
  };

  const paths: Record<string, Record<string, unknown>> = {};
  for (const [path, publicPath] of pathMap) paths[publicPath] = pathItem(document.paths?.[path]);
  const components: Record<string, Record<string, unknown>> = {};
  for (const section of COMPONENT_SECTIONS) {
    const entries = document.components?.[section];
    if (!isObject(entries)) continue;
    components[section] = Object.fromEntries(
      Object.entries(entries).map(([name, value]) => [
        prefix + name,
        section === 'pathItems' ? pathItem(value) : copy(value),
      ]),
    );
  }
  const webhooks: Record<string, unknown> = {};
  for (const [name, item] of Object.entries(isObject(document.webhooks) ? document.webhooks : {})) {
    webhooks[prefix + name] = pathItem(item);
  }
  return { paths, components, webhooks, unreachable };
}

/**
 * Where the gateway exposes a service's path, or undefined when the path is outside the base
 * path (no request through `/api/{service}` reaches it).
 *
 * @example
 * ```ts
 * gatewayPath('orders', '/v1', '/v1/orders'); // '/api/orders/orders'
 * gatewayPath('orders', '/v1', '/health'); // undefined
 * ```
 */
export function gatewayPath(service: string, basePath: string, path: string): string | undefined {
  const base = basePath === '/' ? '' : basePath;
  if (base !== '' && path !== base && !path.startsWith(`${base}/`)) return undefined;
  const rest = path.slice(base.length);
  return rest === '' || rest === '/' ? `/api/${service}` : `/api/${service}${rest}`;
}
