import { DeclaredRoute, type RouteSource } from './declared-route.js';
import type { DeclaredRouteSpec } from './declared-route-spec.js';
import { findConflicts } from './route-conflicts.js';

/** A route that cannot be added as it is; the message says why and how to fix it. */
export class RouteConflictError extends Error {
  override readonly name = 'RouteConflictError';
}

/** A route from `portico.yaml`: the API may not change or remove it. */
export class RouteLockedError extends Error {
  override readonly name = 'RouteLockedError';
}

/**
 * Checks a whole candidate set against what the gateway itself serves (`/api/...`, `/health`,
 * identity's paths) and throws `RouteConflictError` when a route would take one of them.
 */
export type RouteSetCheck = (routes: readonly DeclaredRoute[]) => void;

/**
 * The gateway's declared routes: from `portico.yaml` at start, and changed at run time through
 * the admin API. Every change is checked whole (conflicts between routes, and with the
 * gateway's own paths) before it takes effect, then listeners rebuild the router; a refused
 * change leaves the set as it was.
 *
 * @example
 * ```ts
 * const routes = new DeclaredRouteSet(config.routes);
 * routes.onChange(() => gateway.rebuildRouter());
 * routes.put({ name: 'shop', paths: ['/shop/*'], service: 'orders', stripPrefix: '/shop' });
 * ```
 */
export class DeclaredRouteSet {
  #routes = new Map<string, DeclaredRoute>();
  readonly #listeners: (() => void)[] = [];
  #check: RouteSetCheck | undefined;

  /** Throws `RouteConflictError` when the configured routes conflict among themselves. */
  constructor(configured: readonly DeclaredRouteSpec[] = []) {
    const next = new Map<string, DeclaredRoute>();
    for (const spec of configured) {
      if (next.has(spec.name)) throw new RouteConflictError(`route "${spec.name}" is declared twice`);
      next.set(spec.name, new DeclaredRoute(spec, 'config'));
    }
    this.#commit(next, false);
  }

  /** Adds the gateway's own check (its built-in paths) and runs it on the routes already there. */
  setCheck(check: RouteSetCheck): void {
    check([...this.#routes.values()]);
    this.#check = check;
  }

  list(): DeclaredRoute[] {
    return [...this.#routes.values()];
  }

  get(name: string): DeclaredRoute | undefined {
    return this.#routes.get(name);
  }

  /** Adds or replaces a route; true when it was new. */
  put(spec: DeclaredRouteSpec, source: RouteSource = 'api'): boolean {
    const existing = this.#routes.get(spec.name);
    if (existing?.source === 'config' && source !== 'config') {
      throw new RouteLockedError(`route "${spec.name}" is declared in portico.yaml; change it there`);
    }
    const next = new Map(this.#routes);
    next.set(spec.name, new DeclaredRoute(spec, source));
    this.#commit(next, true);
    return existing === undefined;
  }

  /** Removes a route; false when there was none of that name. */
  delete(name: string): boolean {
    const existing = this.#routes.get(name);
    if (existing === undefined) return false;
    if (existing.source === 'config') {
      throw new RouteLockedError(`route "${name}" is declared in portico.yaml; remove it there`);
    }
    const next = new Map(this.#routes);
    next.delete(name);
    this.#commit(next, true);
    return true;
  }

  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  #commit(next: Map<string, DeclaredRoute>, notify: boolean): void {
    const routes = [...next.values()];
    const conflicts = findConflicts(routes);
    if (conflicts.length > 0) throw new RouteConflictError(conflicts.join('; '));
    this.#check?.(routes);
    this.#routes = next;
    if (notify) for (const listener of this.#listeners) listener();
  }
}
