import { PorticoError } from './errors.js';
import type { Instance, InstanceRegistration } from './registry-types.js';

/** Options of a {@link RegistryClient}. */
export interface RegistryClientOptions {
  /** Per-call time limit; default 5 s. */
  timeoutMs?: number;
  /**
   * The registration key sent as `Authorization: Bearer` on writes (register, heartbeat,
   * deregister); needed unless the registry accepts anonymous writes (docs/registry.md).
   */
  registrationKey?: string;
}

/**
 * A small client of the registry's HTTP API, used by the SDK's lifecycle and usable on its own.
 * Failures come back as `PorticoError`s rebuilt from the registry's envelope; an unreachable
 * registry is a `SERVICE_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * const registry = new RegistryClient('http://127.0.0.1:9080');
 * const instance = await registry.register({ service: 'orders', host: '10.0.0.5', port: 3000 });
 * await registry.heartbeat(instance.id);
 * ```
 */
export class RegistryClient {
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly registrationKey: string | undefined;

  constructor(baseUrl: string, options: RegistryClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.registrationKey = options.registrationKey;
  }

  /** Registers (or re-registers, idempotent on `id`) an instance. */
  register(registration: InstanceRegistration): Promise<Instance> {
    return this.call('POST', '/v1/registry/instances', registration);
  }

  /** Renews an instance's lease; a `NOT_FOUND` means the registry forgot it and wants a register. */
  heartbeat(id: string): Promise<Instance> {
    return this.call('PUT', `/v1/registry/instances/${encodeURIComponent(id)}/heartbeat`);
  }

  /** Removes an instance from the registry at once. */
  async deregister(id: string): Promise<void> {
    await this.call('DELETE', `/v1/registry/instances/${encodeURIComponent(id)}`);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.baseUrl + path, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.registrationKey ? { authorization: `Bearer ${this.registrationKey}` } : {}),
        },
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (cause) {
      throw new PorticoError('SERVICE_UNAVAILABLE', `registry at ${this.baseUrl} is unreachable`, undefined, {
        cause,
      });
    }
    const payload: unknown = await response.json().catch(() => null);
    if (!response.ok || (payload as { success?: boolean } | null)?.success !== true) {
      throw PorticoError.fromEnvelope(payload, response.status);
    }
    return (payload as { data: T }).data;
  }
}
