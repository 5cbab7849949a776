import FindMyWay, { type HTTPMethod, type HTTPVersion } from 'find-my-way';
import type { AuthMode, EndpointSpec } from '../registry-types.js';
import { pathOf } from '../url-path.js';

const ALL_METHODS: HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
/** `.` or `..` as a whole segment, plain or percent-encoded, between `/` or `\` (the gateway's rule). */
const DOT_SEGMENT = /(?:^|\/|\\|%2f|%5c)(?:\.|%2e){1,2}(?:$|\/|\\|%2f|%5c)/i;

/**
 * Which paths of a service are public, decided exactly as the gateway's authentication policy
 * decides it (same find-my-way router, same "most specific endpoint wins", same dot-segment
 * refusal): a public path needs no assertion, every other one does. Where the two could
 * disagree, this side errs towards needing one, so a caller that bypasses the gateway never
 * finds a path more open here than there.
 *
 * @example
 * ```ts
 * const access = PathAccess.compile('jwt', [{ method: 'GET', path: '/catalog/*', public: true }], '/');
 * access.isPublic('GET', '/catalog/7?x=1'); // true
 * access.isPublic('GET', '/orders/7'); // false
 * ```
 */
export class PathAccess {
  private constructor(
    private readonly auth: AuthMode,
    private readonly prefix: string,
    private readonly router: FindMyWay.Instance<HTTPVersion.V1> | undefined,
  ) {}

  static compile(auth: AuthMode, endpoints: readonly EndpointSpec[], basePath: string): PathAccess {
    // A service public everywhere has no policy chain at the gateway: every path is forwarded.
    if (auth === 'public' && endpoints.every((endpoint) => endpoint.public)) {
      return new PathAccess(auth, '', undefined);
    }
    const router = FindMyWay<HTTPVersion.V1>({ ignoreTrailingSlash: true, caseSensitive: true });
    // As the gateway's endpoint table: method-specific endpoints first, `*` fills the rest.
    const ordered = [...endpoints].sort((a, b) => Number(a.method === '*') - Number(b.method === '*'));
    for (const endpoint of ordered) {
      for (const method of endpoint.method === '*' ? ALL_METHODS : [endpoint.method]) {
        if (router.hasRoute(method, endpoint.path)) continue;
        try {
          router.on(method, endpoint.path, () => {}, endpoint);
        } catch {
          // The gateway skips the same endpoint (and logs it): neither side knows it.
        }
      }
    }
    return new PathAccess(auth, normalizePrefix(basePath), router);
  }

  /** True when every path is public: nothing to verify, ever. */
  get open(): boolean {
    return this.router === undefined;
  }

  /** Tells whether `method` on `url` (as the request line has it, query included) is public. */
  isPublic(method: string, url: string): boolean {
    const router = this.router;
    if (router === undefined) return true;
    let path = pathOf(url);
    if (this.prefix !== '') {
      // The gateway puts the base path in front of every path it forwards: anything else did not come through it.
      if (!(path.startsWith(this.prefix) && (path.length === this.prefix.length || path[this.prefix.length] === '/'))) {
        return false;
      }
      path = path.slice(this.prefix.length) || '/';
    }
    if ((path.includes('.') || path.includes('%')) && DOT_SEGMENT.test(path)) return false;
    const found = router.find(method as HTTPMethod, path);
    const endpoint = found === null ? undefined : (found.store as EndpointSpec);
    return endpoint === undefined ? this.auth === 'public' : endpoint.public === true;
  }
}

/** The registry's normalisation of a base path: a leading slash and no trailing one; `/` is none. */
function normalizePrefix(basePath: string): string {
  const trimmed = basePath.replace(/\/+$/, '');
  if (trimmed === '') return '';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}
