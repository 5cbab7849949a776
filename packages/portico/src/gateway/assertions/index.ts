import type { Logger } from 'pino';
import type { AssertionKeyPort } from '../../registry/registry-port.js';
import { AssertionCache } from './assertion-cache.js';
import { AssertionSigner } from './assertion-signer.js';
import { KeyPublisher } from './key-publisher.js';

export { AssertionCache, type AssertionCacheOptions } from './assertion-cache.js';
export { type AssertionJwk, AssertionSigner } from './assertion-signer.js';
export { KeyPublisher, type KeyPublisherOptions } from './key-publisher.js';

/** A gateway's assertion machinery: the cache the policy asks, and the key kept in the registry. */
export interface GatewayAssertions {
  readonly issuer: AssertionCache;
  readonly kid: string;
  stop(): void;
}

/**
 * Makes this gateway's signing key, publishes it to the registry (at once with the in-process
 * registry, in the background over HTTP) and keeps its lease renewed.
 *
 * @example
 * ```ts
 * const assertions = startAssertions(registry, logger);
 * const compile = policyCompiler(BUILT_IN_POLICIES, { identity: view, assertions: assertions.issuer }, () => undefined);
 * ```
 */
export function startAssertions(registry: AssertionKeyPort, logger: Logger): GatewayAssertions {
  const signer = new AssertionSigner();
  const publisher = new KeyPublisher(registry, signer.publicJwk, { logger });
  void publisher.start();
  logger.info({ kid: signer.kid }, 'identity assertion key made');
  return { issuer: new AssertionCache(signer), kid: signer.kid, stop: () => publisher.stop() };
}
