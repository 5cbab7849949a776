import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerInstance } from './support/http.js';
import { type PorticoProc, startPortico } from './support/processes.js';
import { openSse } from './support/sse.js';

describe('registry watch (Server-Sent Events)', () => {
  let portico: PorticoProc;

  beforeAll(async () => {
    portico = await startPortico();
  });
  afterAll(async () => {
    await portico.stop();
  });

  const register = (id: string, port: number) =>
    registerInstance(portico.adminUrl, { id, service: 'watched', host: '127.0.0.1', port });

  it('starts with a snapshot, then streams every change with increasing revisions', async () => {
    await register('w-1', 5001);
    const stream = await openSse(`${portico.adminUrl}/v1/registry/watch`);
    try {
      const snapshot = await stream.next();
      expect(snapshot.event).toBe('snapshot');
      expect(snapshot.data.instances.map((i: { id: string }) => i.id)).toContain('w-1');
      await register('w-2', 5002);
      await register('w-2', 5003);
      await fetch(`${portico.adminUrl}/v1/registry/instances/w-1`, { method: 'DELETE' });
      const changes = [await stream.next(), await stream.next(), await stream.next()];
      expect(changes.map((c) => [c.data.type, c.data.instance.id])).toEqual([
        ['registered', 'w-2'],
        ['updated', 'w-2'],
        ['removed', 'w-1'],
      ]);
      expect(changes[2]?.data.reason).toBe('deregistered');
      const revisions = [snapshot.data.revision, ...changes.map((c) => c.data.revision)];
      for (let i = 1; i < revisions.length; i++) expect(revisions[i]).toBe(revisions[i - 1] + 1);
      expect(changes[0]?.id).toBe(`${snapshot.data.epoch}:${changes[0]?.data.revision}`);
    } finally {
      stream.close();
    }
  });

  it('resumes after a reconnect with exactly the missed changes (since= and Last-Event-ID)', async () => {
    const first = await openSse(`${portico.adminUrl}/v1/registry/watch`);
    const snapshot = await first.next();
    first.close();
    const { epoch, revision } = snapshot.data;
    // Changes made while nobody watches.
    await register('r-1', 6001);
    await register('r-2', 6002);
    await fetch(`${portico.adminUrl}/v1/registry/instances/r-1`, { method: 'DELETE' });

    const bySince = await openSse(`${portico.adminUrl}/v1/registry/watch?since=${revision}&epoch=${epoch}`);
    const byHeader = await openSse(`${portico.adminUrl}/v1/registry/watch`, {
      'last-event-id': `${epoch}:${revision}`,
    });
    try {
      for (const stream of [bySince, byHeader]) {
        const missed = [await stream.next(), await stream.next(), await stream.next()];
        expect(missed.map((e) => e.event)).toEqual(['change', 'change', 'change']);
        expect(missed.map((e) => e.data.revision)).toEqual([revision + 1, revision + 2, revision + 3]);
        expect(missed.map((e) => `${e.data.type}:${e.data.instance.id}`)).toEqual([
          'registered:r-1',
          'registered:r-2',
          'removed:r-1',
        ]);
      }
      await register('r-3', 6003);
      expect((await bySince.next()).data.instance.id).toBe('r-3');
      expect((await byHeader.next()).data.instance.id).toBe('r-3');
    } finally {
      bySince.close();
      byHeader.close();
    }
  });

  it('tells a watcher from another epoch or from the future to resync from a snapshot', async () => {
    for (const query of ['since=3&epoch=another-registry', 'since=999999']) {
      const stream = await openSse(`${portico.adminUrl}/v1/registry/watch?${query}`);
      try {
        const event = await stream.next();
        expect(event.event).toBe('snapshot');
        expect(Array.isArray(event.data.instances)).toBe(true);
      } finally {
        stream.close();
      }
    }
  });
});

describe('registry watch history', () => {
  it('resyncs a watcher whose missed changes are no longer held', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-watch-'));
    writeFileSync(join(dir, 'portico.yaml'), 'registry:\n  watchHistory: 3\n');
    const portico = await startPortico({ PORTICO_CONFIG: join(dir, 'portico.yaml') });
    try {
      const first = await openSse(`${portico.adminUrl}/v1/registry/watch`);
      const { epoch, revision } = (await first.next()).data;
      first.close();
      const register = (i: number) =>
        registerInstance(portico.adminUrl, { id: `h-${i}`, service: 'hist', host: '127.0.0.1', port: 7000 + i });
      for (let i = 0; i < 3; i++) await register(i);
      // Three missed changes are still held: replayed one by one.
      const near = await openSse(`${portico.adminUrl}/v1/registry/watch?since=${revision}&epoch=${epoch}`);
      expect((await near.next()).event).toBe('change');
      near.close();
      await register(3);
      // Four missed changes are not: the watcher starts over from a snapshot of all four instances.
      const far = await openSse(`${portico.adminUrl}/v1/registry/watch?since=${revision}&epoch=${epoch}`);
      const resync = await far.next();
      far.close();
      expect(resync.event).toBe('snapshot');
      expect(resync.data.revision).toBe(revision + 4);
      expect(resync.data.instances).toHaveLength(4);
    } finally {
      await portico.stop();
    }
  });
});
