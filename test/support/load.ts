/** Bounded request loops for resilience tests: steady traffic that records every failure. */
import { request } from './http.js';

/** What a load run saw. */
export interface LoadResult {
  sent: number;
  failures: { method: string; status: number; code: string; message: string }[];
  byInstance: Map<string, number>;
}

/** A running load: stop it to get the result. */
export interface Load {
  stop(): Promise<LoadResult>;
  readonly result: LoadResult;
}

/**
 * Sends requests to `url` from `workers` loops until stopped (or `maxMs` passes, whichever is
 * first): GETs, and every `postEvery`-th request a POST with a small body.
 */
export function startLoad(
  url: string,
  options: { workers?: number; postEvery?: number; pauseMs?: number; maxMs?: number } = {},
): Load {
  const { workers = 4, postEvery = 3, pauseMs = 5, maxMs = 60_000 } = options;
  const result: LoadResult = { sent: 0, failures: [], byInstance: new Map() };
  const until = Date.now() + maxMs;
  let running = true;
  const loops = Array.from({ length: workers }, async () => {
    while (running && Date.now() < until) {
      const n = ++result.sent;
      const method = n % postEvery === 0 ? 'POST' : 'GET';
      try {
        const response = await request(url, { method, body: method === 'POST' ? `payload-${n}` : undefined });
        if (response.status !== 200) {
          result.failures.push({
            method,
            status: response.status,
            code: response.body?.error?.code ?? '',
            message: response.body?.error?.message ?? response.text.slice(0, 200),
          });
        } else {
          const instance = String(response.body?.data?.instance);
          result.byInstance.set(instance, (result.byInstance.get(instance) ?? 0) + 1);
        }
      } catch (error) {
        result.failures.push({ method, status: 0, code: 'FETCH_FAILED', message: String(error) });
      }
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  });
  return {
    result,
    async stop() {
      running = false;
      await Promise.all(loops);
      return result;
    },
  };
}
