import { instanceBase } from '@portico/sdk';
import { PLATFORM_TENANT } from '../../identity/permissions.js';
import type { RegistryPort } from '../../registry/registry-port.js';
import type { TargetCall, TargetRunner } from './target-port.js';

/** How much of a failing answer's body the run's error keeps. */
const ERROR_BODY_CHARS = 300;

/**
 * Calls an instance of a registered service directly (picked at random among those `up`), with
 * the run as the JSON body (none for `GET`) and headers `x-portico-schedule`, `x-portico-run-id`,
 * `x-portico-scheduled-at`, `x-portico-attempt`, and `x-tenant-id` for a tenant's schedule. Any
 * 2xx is success; another status (a redirect is not followed), no instance, or the timeout is a failed attempt. The call does
 * not pass the gateway, so it carries no signed caller assertion (docs/scheduler.md).
 *
 * @example
 * ```ts
 * const runner = new HttpTarget(registry);
 * await runner.run({ target: { kind: 'http', service: 'archiver', path: '/jobs/archive' }, message, signal });
 * ```
 */
export class HttpTarget implements TargetRunner {
  constructor(private readonly registry: RegistryPort) {}

  async run({ target, message, signal }: TargetCall): Promise<void> {
    if (target.kind !== 'http') throw new Error(`an HTTP target cannot run a ${target.kind} target`);
    const detail = await this.registry.service(target.service);
    const live = (detail?.instances ?? []).filter((instance) => instance.status === 'up');
    const instance = live[Math.floor(Math.random() * live.length)];
    if (!instance) throw new Error(`no instance of service ${target.service} is registered`);
    const method = target.method ?? 'POST';
    const headers: Record<string, string> = {
      'x-portico-schedule': message.schedule,
      'x-portico-run-id': message.runId,
      'x-portico-scheduled-at': message.scheduledAt,
      'x-portico-attempt': String(message.attempt),
    };
    if (message.tenant !== PLATFORM_TENANT) headers['x-tenant-id'] = message.tenant;
    if (method !== 'GET') headers['content-type'] = 'application/json';
    const response = await fetch(`${instanceBase(instance)}${target.path}`, {
      method,
      headers,
      body: method === 'GET' ? null : JSON.stringify(message),
      signal,
      // A redirect is an answer, not an invitation to call elsewhere: only the registered instance is called.
      redirect: 'manual',
    });
    const text = await response.text().catch(() => '');
    if (response.status < 200 || response.status > 299) {
      throw new Error(`${target.service} answered ${response.status}: ${text.slice(0, ERROR_BODY_CHARS)}`);
    }
  }
}
