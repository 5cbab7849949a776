import type { PorticoConfig } from '../config/schema.js';
import type { ThrottleOptions } from './login-throttle/login-throttle-port.js';
import type { Argon2Params } from './passwords.js';
import type { SigningAlgorithm } from './signing-keys.js';

/** Everything the identity core is configured with; `platform.ts` fills it from `portico.yaml`. */
export interface IdentityOptions {
  issuer: string;
  audience: string;
  algorithm: SigningAlgorithm;
  accessTokenTtlSeconds: number;
  refreshIdleSeconds: number;
  refreshAbsoluteSeconds: number;
  /** How long a replaced signing key keeps verifying; at least one access-token lifetime. */
  keyGraceSeconds: number;
  argon2: Argon2Params;
  throttle: ThrottleOptions;
  /** Password of the first platform admin; generated (and shown once) when empty. */
  adminPassword: string;
  /** Key of the secret hashes; when empty, one is generated once and kept in the store. */
  secretKey: string;
}

/** Defaults matching the config schema, for tests and embedding. */
export const DEFAULT_IDENTITY_OPTIONS: IdentityOptions = {
  issuer: 'portico',
  audience: 'portico',
  algorithm: 'EdDSA',
  accessTokenTtlSeconds: 900,
  refreshIdleSeconds: 14 * 86_400,
  refreshAbsoluteSeconds: 30 * 86_400,
  keyGraceSeconds: 1800,
  argon2: { memoryKiB: 19_456, iterations: 2, parallelism: 1 },
  throttle: { maxFailuresPerIdentifier: 5, maxFailuresPerIp: 50, windowSeconds: 900, lockoutSeconds: 900 },
  adminPassword: '',
  secretKey: '',
};

/**
 * The identity options of a loaded configuration.
 *
 * @example
 * ```ts
 * const options = identityOptionsFrom(loadConfig().identity);
 * ```
 */
export function identityOptionsFrom(config: PorticoConfig['identity']): IdentityOptions {
  return {
    issuer: config.issuer,
    audience: config.audience,
    algorithm: config.algorithm,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    refreshIdleSeconds: config.refreshIdleTtlSeconds,
    refreshAbsoluteSeconds: config.refreshAbsoluteTtlSeconds,
    keyGraceSeconds: config.keyGraceSeconds,
    argon2: { ...config.argon2 },
    throttle: {
      maxFailuresPerIdentifier: config.throttle.maxFailuresPerIdentifier,
      maxFailuresPerIp: config.throttle.maxFailuresPerIp,
      windowSeconds: config.throttle.windowSeconds,
      lockoutSeconds: config.throttle.lockoutSeconds,
    },
    adminPassword: config.adminPassword,
    secretKey: config.secretKey,
  };
}
