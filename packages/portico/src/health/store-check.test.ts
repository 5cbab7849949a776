import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../store/index.js';
import type { Store } from '../store/store.js';
import { storeCheck } from './store-check.js';

describe('storeCheck', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore({ url: 'memory:', dataDir: '', poolSize: 1 });
  }, 30_000);
  afterAll(async () => {
    await store.close().catch(() => undefined);
  });

  it('shares one query between concurrent probes', async () => {
    const check = storeCheck(store);
    const first = check();
    expect(check()).toBe(first);
    expect(await first).toBe('healthy');
  });

  it('answers from a short cache, and reports a closed store as degraded once the cache expires', async () => {
    const check = storeCheck(store, { cacheMs: 200, timeoutMs: 500 });
    expect(await check()).toBe('healthy');
    await store.close();
    // Within the cache window no query runs: probes cannot load the store.
    expect(await check()).toBe('healthy');
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await check()).toBe('degraded');
  });
});
