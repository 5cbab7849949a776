import { createHash, timingSafeEqual } from 'node:crypto';
import { PorticoError } from '@portico/sdk';

/** Settings of {@link RegistrationAuth}: the config's `registry.auth` and `registry.keys`, and where admin listens. */
export interface RegistrationAuthOptions {
  mode: 'loopback-open' | 'required';
  /** Hashed registration keys (`sha256:<hex>`) by service name. */
  keys: Record<string, readonly string[]>;
  /** The admin port's bind address: `loopback-open` is open only when it is a loopback one. */
  adminHost: string;
}

/** The SHA-256 of a registration key, in the form `registry.keys` stores. */
export function hashRegistrationKey(key: string): string {
  return `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

/**
 * Decides who may write the registry (register, heartbeat, deregister). A write carries
 * `Authorization: Bearer <registration key>`; the key's hash must be one configured for the
 * instance's service, so a key of service A never touches service B. Without a credential a
 * write passes only in `loopback-open` mode on an admin port bound to loopback, where only this
 * machine's processes can reach it.
 *
 * @example
 * ```ts
 * const auth = new RegistrationAuth({ mode: 'required', keys: { hello: [hashRegistrationKey('k')] }, adminHost: '0.0.0.0' });
 * auth.authorize('Bearer k', 'hello'); // passes; 'Bearer k' for 'orders' throws AUTHORIZATION_ERROR
 * ```
 */
export class RegistrationAuth {
  readonly open: boolean;
  /** Key hash → the services it may write. */
  readonly #services = new Map<string, Set<string>>();

  constructor(options: RegistrationAuthOptions) {
    this.open = options.mode === 'loopback-open' && LOOPBACK.test(options.adminHost);
    for (const [service, hashes] of Object.entries(options.keys)) {
      for (const hash of hashes) {
        const services = this.#services.get(hash) ?? new Set<string>();
        services.add(service);
        this.#services.set(hash, services);
      }
    }
  }

  /**
   * Checks the credential alone, before the instance is looked up: throws `AUTHENTICATION_ERROR`
   * when one is needed and missing, or present and unknown. Returns the services it may write,
   * or `undefined` for an accepted anonymous write.
   */
  authenticate(authorization: string | undefined): ReadonlySet<string> | undefined {
    const key = bearer(authorization);
    if (key === undefined) {
      if (this.open) return undefined;
      throw new PorticoError('AUTHENTICATION_ERROR', 'registry writes need a registration key (Authorization: Bearer)');
    }
    const services = this.#lookup(hashRegistrationKey(key));
    // A wrong key is refused even where anonymous writes pass: it is a mistake worth hearing of.
    if (!services) throw new PorticoError('AUTHENTICATION_ERROR', 'the registration key is not valid');
    return services;
  }

  /** Throws `AUTHORIZATION_ERROR` unless the authenticated services include `service`. */
  static allow(services: ReadonlySet<string> | undefined, service: string): void {
    if (services !== undefined && !services.has(service)) {
      throw new PorticoError('AUTHORIZATION_ERROR', `this registration key may not write service ${service}`, {
        service,
      });
    }
  }

  /** Both checks at once, for a write whose service is known up front. */
  authorize(authorization: string | undefined, service: string): void {
    RegistrationAuth.allow(this.authenticate(authorization), service);
  }

  #lookup(hash: string): Set<string> | undefined {
    const wanted = Buffer.from(hash);
    // Compared in constant time against every stored hash: timing says nothing about near misses.
    let found: Set<string> | undefined;
    for (const [stored, services] of this.#services) {
      const candidate = Buffer.from(stored);
      if (candidate.length === wanted.length && timingSafeEqual(candidate, wanted)) found = services;
    }
    return found;
  }
}

function bearer(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  // A malformed header counts as a wrong credential, not as none.
  return match ? match[1] : '\u0000';
}
