/**
 * The two sides of the HTTP/1.1 differential: a real Portico gateway in this process (its own
 * server and upstream client, node:http for what it hands over) in front of a
 * {@link RecordingUpstream}, and a plain node:http server (llhttp, strict: insecureHTTPParser is
 * off by default) as the reference. Both listen on ephemeral loopback ports and are sent the same
 * bytes by the raw client; each reports which requests it took as requests.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadConfig } from '../../packages/portico/src/config/load.js';
import { type RunningPortico, startPortico } from '../../packages/portico/src/platform.js';
import { registerInstance, waitUntil } from './http.js';
import { RecordingUpstream } from './recording-upstream.js';

/** The service the gateway routes to the recording upstream: `/api/rec/...`. */
export const SERVICE = 'rec';

/** One line of the gateway's access log. */
export interface AccessLine {
  requestId: string;
  method: string;
  path: string;
  service?: string;
  instance?: string;
  status: number;
  retries: number;
  aborted?: boolean;
}

/** A request the reference server took. */
export interface ReferenceRequest {
  /** The client's port: which connection it came on. */
  port: number;
  method: string;
  url: string;
  body: string;
}

/** The gateway side: where to send, what it logged, what its upstream saw. */
export interface GatewaySide {
  port: number;
  portico: RunningPortico;
  upstream: RecordingUpstream;
  access: AccessLine[];
  close(): Promise<void>;
}

/**
 * Starts a Portico gateway (gateway-only, with a registry beside it, both in this process) with
 * one upstream connection per instance, so consecutive requests share a pooled connection, and
 * the recording upstream registered as `rec`.
 *
 * @example
 * ```ts
 * const gateway = await startGatewaySide();
 * await exchange(gateway.port, ['GET /api/rec/x HTTP/1.1\r\nHost: a\r\n\r\n']);
 * ```
 */
export async function startGatewaySide(): Promise<GatewaySide> {
  const access: AccessLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) {
        if (text === '') continue;
        const line = JSON.parse(text) as AccessLine & { msg?: string };
        if (line.msg === 'request') access.push(line);
      }
      done();
    },
  });
  // A registry process and a gateway-only process, both in this process: no identity and no
  // store, so nothing but the registry's watch stands between a registration and the route.
  const env = (role: string) => ({
    PORTICO_HOST: '127.0.0.1',
    PORTICO_PUBLIC_PORT: '0',
    PORTICO_ADMIN_PORT: '0',
    PORTICO_DATA_DIR: mkdtempSync(join(tmpdir(), `portico-smuggling-${role}-`)),
    PORTICO_ACCESS_LOG: 'true',
  });
  const registry = await startPortico(loadConfig({ env: env('registry') }), {
    role: 'registry',
    logger: pino({ level: 'silent' }),
  });
  const config = loadConfig({ env: { ...env('gateway'), PORTICO_REGISTRY_URL: registry.adminUrl } });
  config.gateway.connectionsPerUpstream = 1;
  const portico = await startPortico(config, { role: 'gateway', logger: pino({ level: 'info' }, sink) });
  const upstream = await RecordingUpstream.start();
  // The longest lease there is: nothing heartbeats for this instance.
  await registerInstance(registry.adminUrl, {
    service: SERVICE,
    id: 'rec-1',
    host: '127.0.0.1',
    port: upstream.port,
    ttlSeconds: 3600,
  });
  const port = Number(new URL(portico.publicUrl as string).port);
  await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/api/${SERVICE}/ready`)).status === 200);
  upstream.seen.length = 0;
  access.length = 0;
  return {
    port,
    portico,
    upstream,
    access,
    async close() {
      await portico.close();
      await registry.close();
      await upstream.close();
    },
  };
}

/**
 * A plain node:http server (default options: llhttp strict) that takes every request, reads its
 * body and answers 200; `requests` lists what it took.
 *
 * @example
 * ```ts
 * const reference = await startReference();
 * ```
 */
export async function startReference(): Promise<{ port: number; requests: ReferenceRequest[]; server: Server }> {
  const requests: ReferenceRequest[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.setEncoding('latin1');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      requests.push({
        port: req.socket.remotePort as number,
        method: req.method as string,
        url: req.url as string,
        body,
      });
      res.end(JSON.stringify({ url: req.url }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, requests, server };
}
