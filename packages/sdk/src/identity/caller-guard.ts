import type { IncomingMessage } from 'node:http';
import { PorticoError } from '../errors.js';
import type { AuthMode, EndpointSpec } from '../registry-types.js';
import { ASSERTION_HEADER, ASSERTION_KEYS_PATH } from './assertion-contract.js';
import { AssertionKeys } from './assertion-keys.js';
import { AssertionVerifier } from './assertion-verifier.js';
import type { Caller } from './caller.js';
import { PathAccess } from './path-access.js';

/** What a {@link CallerGuard} is built from: the service's own registration. */
export interface CallerGuardOptions {
  service: string;
  registryUrl: string;
  auth: AuthMode;
  endpoints: readonly EndpointSpec[];
  basePath: string;
}

/**
 * Decides, before a handler runs, whether a request may reach it: a public path (by the
 * service's own `auth` and `endpoints`, the gateway's rule) passes with no caller; every other
 * path needs a valid assertion from the gateway, and passes with the caller it names.
 *
 * @example
 * ```ts
 * const guard = new CallerGuard({ service: 'orders', registryUrl, auth: 'jwt', endpoints: [], basePath: '/' });
 * const verdict = guard.check(req); // undefined (public), a Caller, or a promise of one; throws PorticoError
 * ```
 */
export class CallerGuard {
  readonly #access: PathAccess;
  readonly #verifier: AssertionVerifier | undefined;

  constructor(options: CallerGuardOptions) {
    this.#access = PathAccess.compile(options.auth, options.endpoints, options.basePath);
    if (this.#access.open) return;
    const keys = new AssertionKeys(`${options.registryUrl.replace(/\/+$/, '')}${ASSERTION_KEYS_PATH}`);
    keys.prefetch();
    this.#verifier = new AssertionVerifier(options.service, keys);
  }

  /** `undefined` for a public path; the verified caller otherwise. Throws (or rejects) `PorticoError`. */
  check(req: IncomingMessage): Caller | Promise<Caller> | undefined {
    const verifier = this.#verifier;
    if (verifier === undefined || this.#access.isPublic(req.method ?? 'GET', req.url ?? '/')) return undefined;
    const assertion = req.headers[ASSERTION_HEADER];
    if (typeof assertion !== 'string' || assertion === '') {
      throw new PorticoError(
        'AUTHENTICATION_ERROR',
        'this path needs the identity assertion the gateway adds; call it through the gateway',
      );
    }
    return verifier.verify(assertion);
  }
}
