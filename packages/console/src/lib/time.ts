import { onBeforeUnmount, onMounted, ref } from 'vue';

/**
 * The current time, ticking once a second while the component is mounted (for countdowns).
 *
 * @example
 * ```ts
 * const now = useNow();
 * // {{ timeLeft(key.expiresAt, now) }}
 * ```
 */
export function useNow() {
  const now = ref(Date.now());
  let timer: ReturnType<typeof setInterval> | undefined;
  onMounted(() => {
    timer = setInterval(() => {
      now.value = Date.now();
    }, 1000);
  });
  onBeforeUnmount(() => clearInterval(timer));
  return now;
}

/**
 * What is left until `iso`, as `2d 3h`, `4h 5m`, `6m 7s` or `-` once past; `∞` for none.
 *
 * @example
 * ```ts
 * timeLeft(new Date(Date.now() + 90_000).toISOString(), Date.now()); // '1m 30s'
 * ```
 */
export function timeLeft(iso: string | null, now: number): string {
  if (iso === null) return '∞';
  const seconds = Math.floor((Date.parse(iso) - now) / 1000);
  if (!(seconds > 0)) return '-';
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  return `${m}m ${s}s`;
}

/** A timestamp as local date and time, or `-`. */
export function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '-';
}
