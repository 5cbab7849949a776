import type { Instance, ServiceSummary } from '@portico/sdk';

/**
 * The service list every registry store answers: one summary per service name (instance count,
 * sorted versions), sorted by name. One function, so the memory and KV stores cannot disagree.
 *
 * @example
 * ```ts
 * summarizeServices([alpha1, alpha2, beta1]); // [{ name: 'alpha', instances: 2, versions: ['1.0.0'] }, …]
 * ```
 */
export function summarizeServices(instances: Iterable<Instance>): ServiceSummary[] {
  const byName = new Map<string, { instances: number; versions: Set<string> }>();
  for (const instance of instances) {
    let service = byName.get(instance.service);
    if (!service) {
      service = { instances: 0, versions: new Set() };
      byName.set(instance.service, service);
    }
    service.instances++;
    service.versions.add(instance.version);
  }
  return [...byName.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, s]) => ({ name, instances: s.instances, versions: [...s.versions].sort() }));
}
