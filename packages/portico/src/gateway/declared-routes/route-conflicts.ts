import type { DeclaredRoute } from './declared-route.js';

/** A path pattern as the router sees it: parameter names do not make two patterns different. */
export function normalizePattern(path: string): string {
  return path.replace(/:[A-Za-z0-9_]+/g, ':');
}

function hostsOverlap(a: DeclaredRoute, b: DeclaredRoute): string | undefined {
  if (a.anyHost && b.anyHost) return 'any host';
  if (a.anyHost || b.anyHost) return undefined;
  for (const host of a.exactHosts ?? []) if (b.exactHosts?.has(host)) return `host ${host}`;
  for (const suffix of a.hostSuffixes) if (b.hostSuffixes.includes(suffix)) return `host *${suffix}`;
  return undefined;
}

/**
 * Pairs of routes that would take the same request with nothing to choose between them: the
 * same path pattern, a method in common, a host in common (or both any host) and the same
 * priority. Each is one sentence that names both routes and how to resolve it.
 *
 * @example
 * ```ts
 * findConflicts([a, b]); // ['routes "a" and "b" both take GET /shop/* on any host at priority 0: …']
 * ```
 */
export function findConflicts(routes: readonly DeclaredRoute[]): string[] {
  const problems: string[] = [];
  for (let i = 0; i < routes.length; i++) {
    for (let j = i + 1; j < routes.length; j++) {
      const a = routes[i] as DeclaredRoute;
      const b = routes[j] as DeclaredRoute;
      if (a.priority !== b.priority) continue;
      const hosts = hostsOverlap(a, b);
      if (hosts === undefined) continue;
      const method = a.methods.find((m) => b.methods.includes(m));
      if (method === undefined) continue;
      const theirs = new Set(b.spec.paths.map(normalizePattern));
      const path = a.spec.paths.find((p) => theirs.has(normalizePattern(p)));
      if (path === undefined) continue;
      problems.push(
        `routes "${a.name}" and "${b.name}" both take ${method} ${path} on ${hosts} at priority ${a.priority}: give one a higher priority, other methods or other hosts`,
      );
    }
  }
  return problems;
}

/** The order in which routes on one path and method are tried: the first that takes the host wins. */
export function byPrecedence(a: DeclaredRoute, b: DeclaredRoute): number {
  return (
    b.priority - a.priority ||
    b.hostRank - a.hostRank ||
    Number(a.anyMethod) - Number(b.anyMethod) ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
}

/** One router entry: a method and path, and the routes on it in the order they are tried. */
export interface RouterEntry {
  method: string;
  path: string;
  candidates: DeclaredRoute[];
}

/**
 * Groups routes by method and path pattern (parameter names aside), each group in precedence
 * order: the router matches the most specific pattern, then the first route that takes the host.
 */
export function groupByMethodAndPath(routes: readonly DeclaredRoute[]): RouterEntry[] {
  const entries = new Map<string, RouterEntry>();
  for (const route of routes) {
    for (const path of new Set(route.spec.paths)) {
      for (const method of route.methods) {
        const key = `${method} ${normalizePattern(path)}`;
        let entry = entries.get(key);
        if (entry === undefined) {
          entry = { method, path, candidates: [] };
          entries.set(key, entry);
        }
        if (!entry.candidates.includes(route)) entry.candidates.push(route);
      }
    }
  }
  for (const entry of entries.values()) entry.candidates.sort(byPrecedence);
  return [...entries.values()];
}
