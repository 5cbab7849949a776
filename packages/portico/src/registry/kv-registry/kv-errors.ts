import { PorticoError } from '@portico/sdk';

/** Stable codes of the KV registry's start-up failures; docs/errors.md has a section for each. */
export const REGISTRY_KV_ERROR_CODES = ['REGISTRY_KV_UNAVAILABLE'] as const;

/**
 * The KV registry could not start: NATS unreachable, JetStream off, or a bucket it cannot open.
 *
 * @example
 * ```ts
 * try { await connectKvRegistry(options); } catch (e) { if (e instanceof RegistryKvError) exit(e.message); }
 * ```
 */
export class RegistryKvError extends Error {
  readonly code = 'REGISTRY_KV_UNAVAILABLE';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'RegistryKvError';
  }
}

/** JetStream's "wrong last sequence": a compare-and-set lost to another write. */
export function isCasConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 10071 || code === 10164) return true;
  return /wrong last sequence/i.test(String((error as Error | null)?.message ?? ''));
}

/** A write the KV store did not take (unreachable, timed out): the caller may retry. */
export function storeUnavailable(cause: unknown): PorticoError {
  return new PorticoError(
    'SERVICE_UNAVAILABLE',
    'the registry store (NATS JetStream KV) did not take the write',
    undefined,
    {
      cause,
    },
  );
}
