import { defineStore } from 'pinia';
import { computed, ref, shallowRef, triggerRef } from 'vue';

/** The fields of a registry instance the console shows. */
export interface Instance {
  id: string;
  service: string;
  host: string;
  port: number;
  version: string;
  status: string;
  leaseExpiresAt: string;
  /** The service's authentication mode and endpoint policies, as it registered them. */
  auth?: string;
  endpoints?: { method: string; path: string; public?: boolean; roles?: string[]; permissions?: string[] }[];
}

/**
 * The registry, live: one EventSource on `/v1/registry/watch` (snapshot, then changes), so a
 * registered or removed instance shows without reload. The browser resumes from the last
 * event id by itself after a drop.
 */
export const useRegistry = defineStore('registry', () => {
  const instances = shallowRef(new Map<string, Instance>());
  const live = ref(false);
  let source: EventSource | undefined;

  function start(): void {
    if (source) return;
    source = new EventSource('/v1/registry/watch', { withCredentials: true });
    source.onopen = () => {
      live.value = true;
    };
    source.onerror = () => {
      live.value = false;
    };
    source.addEventListener('snapshot', (event) => {
      const data = JSON.parse((event as MessageEvent<string>).data) as { instances: Instance[] };
      instances.value = new Map(data.instances.map((instance) => [instance.id, instance]));
      live.value = true;
    });
    source.addEventListener('change', (event) => {
      const change = JSON.parse((event as MessageEvent<string>).data) as { type: string; instance: Instance };
      if (change.type === 'removed') instances.value.delete(change.instance.id);
      else instances.value.set(change.instance.id, change.instance);
      triggerRef(instances);
    });
  }

  function stop(): void {
    source?.close();
    source = undefined;
    live.value = false;
  }

  const list = computed(() =>
    [...instances.value.values()].sort((a, b) => a.service.localeCompare(b.service) || a.id.localeCompare(b.id)),
  );
  const services = computed(() => new Set(list.value.map((instance) => instance.service)).size);
  return { instances, list, services, live, start, stop };
});
