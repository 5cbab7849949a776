import type { PolicyChain, ServiceAccess } from '../policies/index.js';
import type { ServiceRoute } from '../routing-table.js';
import { type DeclaredRouteSpec, ROUTE_METHODS } from './declared-route-spec.js';

/** Where a declared route came from: `portico.yaml` routes cannot be changed through the API. */
export type RouteSource = 'config' | 'api';

/** Compiles a route's policy chain from its service's access settings and its own policy settings. */
export type RouteCompiler = (
  access: ServiceAccess,
  overrides: Record<string, unknown> | undefined,
  scope: string,
) => PolicyChain | undefined;

/**
 * A declared route ready for the hot path: methods and hosts resolved once, and the policy
 * chain compiled for its service and cached until the service's registered access changes.
 *
 * @example
 * ```ts
 * const route = new DeclaredRoute({ name: 'shop', paths: ['/shop/*'], service: 'orders', stripPrefix: '/shop' }, 'api');
 * route.forwardedPath('/shop/orders/1?x=1'); // '/orders/1?x=1'
 * ```
 */
export class DeclaredRoute {
  readonly name: string;
  readonly priority: number;
  /** Methods it takes, upper case; every method when the spec lists none or `*`. */
  readonly methods: readonly string[];
  readonly anyMethod: boolean;
  readonly exactHosts: ReadonlySet<string> | undefined;
  /** `.example.com` for `*.example.com`. */
  readonly hostSuffixes: readonly string[];
  #chain: PolicyChain | undefined;
  #compiledFor: ServiceRoute | undefined;
  #compiledVersion = -1;

  constructor(
    readonly spec: DeclaredRouteSpec,
    readonly source: RouteSource,
  ) {
    this.name = spec.name;
    this.priority = spec.priority ?? 0;
    this.anyMethod = spec.methods === undefined || spec.methods.includes('*');
    this.methods = this.anyMethod ? ROUTE_METHODS : [...new Set(spec.methods as string[])];
    const hosts = spec.hosts?.map((host) => host.toLowerCase());
    const exact = hosts?.filter((host) => !host.startsWith('*.'));
    this.exactHosts = exact && exact.length > 0 ? new Set(exact) : undefined;
    this.hostSuffixes = hosts?.filter((host) => host.startsWith('*.')).map((host) => host.slice(1)) ?? [];
  }

  get anyHost(): boolean {
    return this.exactHosts === undefined && this.hostSuffixes.length === 0;
  }

  /** How narrowly the route picks hosts: exact names before wildcards before any host. */
  get hostRank(): number {
    if (this.exactHosts) return 2;
    return this.hostSuffixes.length > 0 ? 1 : 0;
  }

  /** Whether the request's `Host` (port ignored, any case) is one this route takes. */
  takesHost(hostHeader: string | undefined): boolean {
    if (this.anyHost) return true;
    if (hostHeader === undefined) return false;
    const colon = hostHeader.lastIndexOf(':');
    const host = (colon > hostHeader.lastIndexOf(']') ? hostHeader.slice(0, colon) : hostHeader).toLowerCase();
    if (this.exactHosts?.has(host)) return true;
    for (const suffix of this.hostSuffixes) if (host.length > suffix.length && host.endsWith(suffix)) return true;
    return false;
  }

  /** The path and query sent to the service: the request's, without `stripPrefix`. */
  forwardedPath(url: string): string {
    const prefix = this.spec.stripPrefix;
    if (prefix === undefined || !url.startsWith(prefix)) return url;
    const next = url.charCodeAt(prefix.length);
    // Only whole segments: `/shop` strips `/shop/x` and `/shop?q`, never `/shopping`.
    if (Number.isNaN(next)) return '/';
    if (next === 47 /* / */) return url.slice(prefix.length);
    if (next === 63 /* ? */) return `/${url.slice(prefix.length)}`;
    return url;
  }

  /**
   * The policy chain for requests through this route: compiled from the service's newest
   * registered access (with this route's `auth`) and its policy settings, again only when the
   * service's access changed since.
   */
  chainFor(route: ServiceRoute, compile: RouteCompiler): PolicyChain | undefined {
    if (this.#compiledFor !== route || this.#compiledVersion !== route.accessVersion) {
      const access = route.access ?? { service: route.name, auth: 'any', endpoints: [] };
      const own = this.spec.auth ? { ...access, auth: this.spec.auth } : access;
      this.#chain = compile(own, this.spec.policies, this.name);
      this.#compiledFor = route;
      this.#compiledVersion = route.accessVersion;
    }
    return this.#chain;
  }
}
