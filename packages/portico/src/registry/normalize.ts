import type { Instance, InstanceRegistration } from '@portico/sdk';

/** Defaults the registry applies to what an instance leaves out. */
export interface RegistrationDefaults {
  ttlSeconds: number;
}

/**
 * Turns a validated registration into the stored instance: fills defaults and normalises the
 * base path.
 */
export function toInstance(
  registration: InstanceRegistration & { id: string },
  defaults: RegistrationDefaults,
  now: number,
  revision: number,
  registeredAt: string,
): Instance {
  const ttlSeconds = registration.ttlSeconds ?? defaults.ttlSeconds;
  const nowIso = new Date(now).toISOString();
  return {
    id: registration.id,
    service: registration.service,
    host: registration.host,
    port: registration.port,
    basePath: normalizeBasePath(registration.basePath ?? '/'),
    version: registration.version ?? '0.0.0',
    tags: registration.tags ?? [],
    weight: registration.weight ?? 1,
    metadata: registration.metadata ?? {},
    auth: registration.auth ?? 'any',
    endpoints: registration.endpoints ?? [],
    ...(registration.healthCheck ? { healthCheck: registration.healthCheck } : {}),
    ttlSeconds,
    status: 'up',
    registeredAt,
    lastHeartbeat: nowIso,
    leaseExpiresAt: new Date(now + ttlSeconds * 1000).toISOString(),
    revision,
    ...(registration.openapi ? { openapi: registration.openapi } : {}),
  };
}

/** A leading slash and no trailing one, except the root itself: `` → `/`, `api/` → `/api`. */
export function normalizeBasePath(basePath: string): string {
  const trimmed = basePath.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}
