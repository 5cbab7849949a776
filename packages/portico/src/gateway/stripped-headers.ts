/**
 * Headers that only Portico may set, whatever the configuration says: the assertion and the
 * gateway's own notes (`x-portico-*`), the identity a service built on the SDK reads
 * (`x-user-*`), and the tenant the tenancy policy resolved (`x-tenant-id`).
 */
export const ALWAYS_STRIPPED: readonly string[] = ['x-portico-*', 'x-user-*', 'x-tenant-id'];

/**
 * Headers through which other gateways, identity proxies and load balancers tell a service who
 * the caller is. A service ported from behind one of them trusts these, so a caller must not be
 * able to send them through Portico. `gateway.strippedHeaders` replaces this list; a route's
 * `identityHeaders` policy adds to it or keeps some of it. A trailing `*` matches a prefix.
 */
export const DEFAULT_STRIPPED_HEADERS: readonly string[] = [
  // Kong (key-auth, jwt, oauth2, acl, ldap, ...): consumer and credential of the caller.
  'x-consumer-*',
  'x-credential-*',
  'x-authenticated-*',
  'x-anonymous-consumer',
  'x-anonymous-groups',
  'x-userinfo',
  // Conventions of hand-written gateways and the seeds' services.
  'x-user',
  'x-userid',
  'x-username',
  'x-roles',
  'x-role',
  'x-permissions',
  'x-scopes',
  'x-scope',
  'x-groups',
  'x-tenant',
  'x-id-token',
  'x-access-token',
  'x-jwt-*',
  // oauth2-proxy, Traefik forward-auth, Apache/nginx auth modules.
  'x-auth-request-*',
  'x-forwarded-user',
  'x-forwarded-email',
  'x-forwarded-groups',
  'x-forwarded-preferred-username',
  'x-forwarded-access-token',
  'x-remote-user',
  'remote-user',
  // mTLS client identity as Envoy and TLS-terminating proxies pass it on.
  'x-forwarded-client-cert',
  'x-client-cert',
  'x-ssl-client-*',
  // Cloud front doors: Azure App Service, Google IAP and API Gateway, AWS ALB, Cloudflare Access.
  'x-ms-client-principal*',
  'x-goog-authenticated-user-*',
  'x-apigateway-api-userinfo',
  'x-amzn-oidc-*',
  'cf-access-*',
];

/** A header name or a prefix ending in `*`, lower case, as configuration accepts it. */
export const HEADER_PATTERN = "^[a-z0-9!#$%&'+.^_`|~-]+\\*?$";

/** How many names' verdicts a list remembers. */
const VERDICTS_KEPT = 1024;

/** Exact names and `prefix*` patterns. */
class NameMatcher {
  private readonly exact = new Set<string>();
  private readonly prefixes: string[] = [];

  constructor(readonly patterns: readonly string[]) {
    for (const pattern of patterns) {
      if (pattern.endsWith('*')) this.prefixes.push(pattern.slice(0, -1));
      else this.exact.add(pattern);
    }
  }

  matches(name: string): boolean {
    if (this.exact.has(name)) return true;
    for (const prefix of this.prefixes) if (name.startsWith(prefix)) return true;
    return false;
  }
}

/**
 * The request headers a route does not forward, compiled once per route so the forward pays a
 * table lookup per header: ALWAYS_STRIPPED, then the route's list less what it keeps. A name
 * with `_` is dropped unless kept or `underscores` is `forward`; WSGI, Rack and PHP read
 * `x_user_id` as `x-user-id`, so a name with `_` is judged as its dashed form in any case and can
 * carry no stripped header past the list (nginx drops such names by default too).
 *
 * @example
 * ```ts
 * const stripped = new StrippedHeaders(['x-consumer-*', 'x-roles']);
 * stripped.has('x-consumer-id'); // true
 * stripped.has('x_request_ts'); // true: underscores are dropped by default
 * stripped.has('accept'); // false
 * stripped.adjusted([], ['x-roles']).has('x-roles'); // false: that route keeps it
 * ```
 */
export class StrippedHeaders {
  private readonly always = new NameMatcher(ALWAYS_STRIPPED);
  private readonly listed: NameMatcher;
  private readonly kept: NameMatcher;
  /** Whether any stripped pattern starts with this byte: most names are passed after one read. */
  private readonly firstBytes = new Uint8Array(128);
  /**
   * Verdicts of names seen before. A request's names are a few dozen common ones, and the forward
   * has already hashed each (its hop-by-hop lookup), so one more lookup is the cheapest test.
   */
  private readonly verdicts = new Map<string, boolean>();

  constructor(
    patterns: readonly string[],
    private readonly underscores: 'drop' | 'forward' = 'drop',
    keep: readonly string[] = [],
  ) {
    this.listed = new NameMatcher([...new Set(patterns)]);
    this.kept = new NameMatcher([...new Set(keep)]);
    for (const pattern of [...ALWAYS_STRIPPED, ...patterns]) this.firstBytes[pattern.charCodeAt(0) & 127] = 1;
  }

  /** Whether the (lower-case) header name is kept from the service. */
  has(name: string): boolean {
    const known = this.verdicts.get(name);
    if (known !== undefined) return known;
    const verdict = this.judge(name);
    // Bounded: names are the caller's to choose; past the bound each new one is judged afresh.
    if (this.verdicts.size < VERDICTS_KEPT) this.verdicts.set(name, verdict);
    return verdict;
  }

  private judge(name: string): boolean {
    if (name.includes('_')) {
      if (this.underscores === 'drop' && !this.kept.matches(name)) return true;
      return this.strips(name.replaceAll('_', '-'));
    }
    return this.strips(name);
  }

  private strips(name: string): boolean {
    if (this.firstBytes[name.charCodeAt(0) & 127] === 0) return false;
    if (this.always.matches(name)) return true;
    return !this.kept.matches(name) && this.listed.matches(name);
  }

  /** This list with a route's additions and exemptions (its `identityHeaders` policy). */
  adjusted(strip: readonly string[], keep: readonly string[]): StrippedHeaders {
    return new StrippedHeaders([...this.listed.patterns, ...strip], this.underscores, [...this.kept.patterns, ...keep]);
  }
}
