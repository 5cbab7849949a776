/**
 * The path of a request target, without its query: what routes, probes, policies, spans and
 * logs look at (a query may carry what must not be logged, and never selects a route).
 *
 * @example
 * ```ts
 * pathOf('/orders/7?expand=lines'); // '/orders/7'
 * pathOf(undefined); // '/'
 * ```
 */
export function pathOf(url: string | undefined): string {
  const path = url ?? '/';
  const query = path.indexOf('?');
  return query === -1 ? path : path.slice(0, query);
}
