import type { EndpointSpec } from '@portico/sdk';
import FindMyWay, { type HTTPMethod, type HTTPVersion } from 'find-my-way';

const ALL_METHODS: HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * A service's registered endpoints, compiled into a find-my-way router once per route change,
 * so finding the endpoint of a request is one radix-tree lookup. find-my-way prefers a static
 * segment over a parameter over a wildcard, which is "the most specific match wins".
 *
 * @example
 * ```ts
 * const table = EndpointTable.compile([{ method: 'GET', path: '/orders/:id', roles: ['clerk'] }]);
 * table.match('GET', '/orders/42'); // that endpoint
 * ```
 */
export class EndpointTable {
  private constructor(
    private readonly router: FindMyWay.Instance<HTTPVersion.V1>,
    /** Endpoints that clashed with one declared before them, with why; for logs and the view. */
    readonly conflicts: readonly string[],
  ) {}

  static compile(endpoints: readonly EndpointSpec[]): EndpointTable {
    const router = FindMyWay<HTTPVersion.V1>({ ignoreTrailingSlash: true, caseSensitive: true });
    const conflicts: string[] = [];
    // A method-specific endpoint must beat `*` on the same path: declare those first, then let
    // `*` fill only the methods still free.
    const ordered = [...endpoints].sort((a, b) => Number(a.method === '*') - Number(b.method === '*'));
    for (const endpoint of ordered) {
      const methods = endpoint.method === '*' ? ALL_METHODS : [endpoint.method];
      for (const method of methods) {
        if (router.hasRoute(method, endpoint.path)) {
          if (endpoint.method !== '*') conflicts.push(`${method} ${endpoint.path} is declared twice`);
          continue;
        }
        try {
          router.on(method, endpoint.path, () => {}, endpoint);
        } catch (error) {
          conflicts.push(`${method} ${endpoint.path}: ${(error as Error).message}`);
        }
      }
    }
    return new EndpointTable(router, conflicts);
  }

  /** The endpoint declared for `method` on `path` (no query), or undefined. */
  match(method: string, path: string): EndpointSpec | undefined {
    const found = this.router.find(method as HTTPMethod, path);
    return found === null ? undefined : (found.store as EndpointSpec);
  }
}
