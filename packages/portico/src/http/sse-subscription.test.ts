import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HttpClient } from './http-client.js';
import { SseSubscription } from './sse-subscription.js';

/** The subscription against a real `node:http` server on loopback. */
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Watch {
  origin: string;
  /** Every request's headers, in order. */
  requests: IncomingMessage['headers'][];
  /** The responses still open. */
  open: Set<ServerResponse>;
}

async function watchServer(
  route: (req: IncomingMessage, res: ServerResponse, attempt: number) => void,
): Promise<Watch> {
  const watch: Watch = { origin: '', requests: [], open: new Set() };
  const server: Server = createServer((req, res) => {
    watch.requests.push(req.headers);
    watch.open.add(res);
    res.on('close', () => watch.open.delete(res));
    route(req, res, watch.requests.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    server.closeAllConnections();
    server.close();
  });
  watch.origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return watch;
}

function stream(res: ServerResponse, ...events: string[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', connection: 'close' });
  res.write(`retry: 1000\n\n${events.join('')}`);
}

function subscribe(origin: string, headers: () => Record<string, string> = () => ({})) {
  const client = new HttpClient(origin, { connections: 2 });
  const logger = { info: vi.fn(), warn: vi.fn() };
  const messages: [string, string | undefined, string][] = [];
  const subscription = new SseSubscription(client, {
    path: '/v1/test/watch',
    headers,
    onMessage: (event, id, data) => messages.push([event, id, data]),
    logger: logger as unknown as Logger,
    label: 'test watch',
    reconnectMinMs: 20,
    reconnectMaxMs: 80,
  });
  cleanups.push(async () => {
    subscription.stop();
    await client.destroy();
  });
  return { subscription, logger, messages };
}

describe('SseSubscription', () => {
  it('delivers messages with their ids and sends its headers on each connection', async () => {
    const watch = await watchServer((_req, res) => stream(res, 'event: snapshot\nid: e:1\ndata: {"a":1}\n\n'));
    const { subscription, messages } = subscribe(watch.origin, () => ({ authorization: 'Bearer s3cret' }));
    expect(subscription.connected).toBe(false);
    subscription.start();
    await expect.poll(() => messages).toEqual([['snapshot', 'e:1', '{"a":1}']]);
    expect(subscription.connected).toBe(true);
    expect(watch.requests[0]?.authorization).toBe('Bearer s3cret');
    expect(watch.requests[0]?.accept).toBe('text/event-stream');
  });

  it('reconnects with backoff after a refusal or a drop, logging the loss and the recovery once', async () => {
    const watch = await watchServer((_req, res, attempt) => {
      if (attempt <= 3) res.writeHead(503).end('{"success":false}');
      else if (attempt === 4) {
        stream(res, 'event: change\nid: e:2\ndata: 1\n\n');
        setTimeout(() => res.end(), 20);
      } else stream(res, 'event: change\nid: e:3\ndata: 2\n\n');
    });
    let seen: [string, string | undefined, string][] = [];
    const { subscription, logger, messages } = subscribe(watch.origin, () => ({
      'last-event-id': seen.at(-1)?.[1] ?? '',
    }));
    seen = messages;
    subscription.start();
    await expect.poll(() => messages.length).toBe(2);
    expect(messages.map(([, id]) => id)).toEqual(['e:2', 'e:3']);
    expect(watch.requests).toHaveLength(5);
    // The resume point the caller keeps goes out with the next connection.
    expect(watch.requests[4]?.['last-event-id']).toBe('e:2');
    // A refused stream is a loss; one the server ends is not, but it is reconnected all the same.
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(String(logger.warn.mock.calls[0]?.[1])).toBe('test watch lost; keeping the last known state');
    expect(logger.warn.mock.calls[0]?.[0]).toMatchObject({ err: { message: 'test watch answered 503' } });
    expect(logger.info).toHaveBeenCalledWith('test watch reconnected');
    expect(subscription.connected).toBe(true);
  });

  it('stop() closes the stream and connects no more', async () => {
    const watch = await watchServer((_req, res) => stream(res, 'data: x\n\n'));
    const { subscription, messages } = subscribe(watch.origin);
    subscription.start();
    await expect.poll(() => messages.length).toBe(1);
    subscription.stop();
    expect(subscription.connected).toBe(false);
    await expect.poll(() => watch.open.size).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(watch.requests).toHaveLength(1);
  });

  it('reconnect() drops the stream and connects again at once', async () => {
    const watch = await watchServer((_req, res, attempt) => stream(res, `data: ${attempt}\n\n`));
    const { subscription, logger, messages } = subscribe(watch.origin);
    subscription.start();
    await expect.poll(() => messages.length).toBe(1);
    subscription.reconnect();
    await expect.poll(() => messages.map(([, , data]) => data)).toEqual(['1', '2']);
    await expect.poll(() => watch.open.size).toBe(1);
    expect(logger.warn).not.toHaveBeenCalled();
  });
});
