/** The watch loop against an in-process SSE server that plays the registry. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Instance } from '../registry-types.js';
import { discover } from './discovery.js';
import { RegistryWatcher } from './registry-watcher.js';

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

function instance(id: string): Instance {
  return { id, service: 'orders', host: '127.0.0.1', port: 1, basePath: '/', weight: 1, ttlSeconds: 30 } as Instance;
}

interface FakeRegistry {
  url: string;
  /** The `last-event-id` header of each watch request, in order. */
  resumes: (string | undefined)[];
  /** Streams open now. */
  streams: Set<ServerResponse>;
  send(event: string, id: string, data: unknown): void;
  close(): Promise<void>;
}

let servers: Server[] = [];
let watchers: RegistryWatcher[] = [];

afterEach(async () => {
  for (const watcher of watchers) watcher.stop();
  watchers = [];
  await Promise.all(
    servers.map((server) => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
  servers = [];
});

async function fakeRegistry(onWatch: (req: IncomingMessage, res: ServerResponse, n: number) => void) {
  const resumes: (string | undefined)[] = [];
  const streams = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    resumes.push(req.headers['last-event-id'] as string | undefined);
    res.once('close', () => streams.delete(res));
    onWatch(req, res, resumes.length);
    if (res.statusCode === 200 && !res.writableEnded) streams.add(res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const fake: FakeRegistry = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    resumes,
    streams,
    send(event, id, data) {
      for (const res of streams) res.write(`event: ${event}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return fake;
}

function openStream(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write('retry: 1000\n\n');
}

function watcher(url: string): RegistryWatcher {
  const created = new RegistryWatcher(url, { logger: quiet, reconnectMinMs: 10, reconnectMaxMs: 50 });
  watchers.push(created);
  return created;
}

async function until(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('RegistryWatcher', () => {
  it('follows snapshot and changes, and resumes from the last event id after a drop', async () => {
    const registry = await fakeRegistry((_req, res, n) => {
      openStream(res);
      if (n === 1) {
        res.write(
          `event: snapshot\nid: e1:2\ndata: ${JSON.stringify({ epoch: 'e1', revision: 2, instances: [instance('a')] })}\n\n`,
        );
      }
    });
    const watch = watcher(registry.url);
    watch.start();
    expect(await watch.ready(2_000)).toBe(true);
    expect(watch.instances('orders').map((i) => i.id)).toEqual(['a']);
    registry.send('change', 'e1:3', { epoch: 'e1', revision: 3, type: 'registered', instance: instance('b') });
    await until(() => watch.instances('orders').length === 2);

    for (const res of registry.streams) res.destroy();
    await until(() => registry.resumes.length === 2 && registry.streams.size === 1);
    expect(registry.resumes).toEqual([undefined, 'e1:3']);
    // Nothing is lost while reconnecting: the view kept what it knew.
    expect(watch.instances('orders').map((i) => i.id)).toEqual(['a', 'b']);
    registry.send('change', 'e1:4', { epoch: 'e1', revision: 4, type: 'removed', instance: instance('a') });
    await until(() => watch.instances('orders').length === 1);
    expect(watch.connected).toBe(true);
  });

  it('starts over from a snapshot when the registry rejects the resume point', async () => {
    const registry = await fakeRegistry((_req, res, n) => {
      if (n === 2) {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"success":false}');
        return;
      }
      openStream(res);
      const epoch = n === 1 ? 'e1' : 'e2';
      res.write(`event: snapshot\nid: ${epoch}:1\ndata: ${JSON.stringify({ epoch, revision: 1, instances: [] })}\n\n`);
    });
    const watch = watcher(registry.url);
    watch.start();
    await watch.ready(2_000);
    for (const res of registry.streams) res.destroy();
    await until(() => registry.resumes.length === 3);
    expect(registry.resumes).toEqual([undefined, 'e1:1', undefined]);
  });

  it('reports not ready when the registry cannot be reached, and keeps trying', async () => {
    const registry = await fakeRegistry((_req, res) => openStream(res));
    const url = registry.url;
    await registry.close();
    const watch = watcher(url);
    watch.start();
    expect(await watch.ready(100)).toBe(false);
    expect(watch.connected).toBe(false);
  });

  it('shares one watcher per registry URL among clients, and stops it with the last', async () => {
    const registry = await fakeRegistry((_req, res) => {
      openStream(res);
      res.write(`event: snapshot\nid: e:1\ndata: ${JSON.stringify({ epoch: 'e', revision: 1, instances: [] })}\n\n`);
    });
    const first = discover(`${registry.url}/`, { logger: quiet });
    const second = discover(registry.url, { logger: quiet });
    // Lazy: nothing is opened until a client needs instances.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(registry.resumes).toHaveLength(0);
    expect(await first.ready(2_000)).toBe(true);
    expect(await second.ready(2_000)).toBe(true);
    expect(registry.resumes).toHaveLength(1);
    first.release();
    first.release();
    expect(registry.streams.size).toBe(1);
    second.release();
    await until(() => registry.streams.size === 0);
  });
});
