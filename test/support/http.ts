/** Small HTTP helpers for integration tests: real requests with `fetch`. */
import type { Instance, InstanceRegistration } from '@portico/sdk';

/** Any JSON body, typed loosely for assertions. */
// biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON shapes.
export type Json = any;

/** Sends a request and reads the body as JSON (or `null` when it is not JSON). */
export async function request(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; headers: Headers; body: Json; text: string }> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: Json = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** `POST /v1/registry/instances` with a JSON body. */
export function postJson(url: string, payload: unknown, init: RequestInit = {}) {
  return request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
    ...init,
  });
}

/**
 * Registers an instance directly through the admin API and returns it. Public unless the
 * registration says otherwise: these upstreams test routing and resilience, not authentication.
 */
export async function registerInstance(adminUrl: string, registration: InstanceRegistration): Promise<Instance> {
  const { status, body } = await postJson(`${adminUrl}/v1/registry/instances`, { auth: 'public', ...registration });
  if (status !== 200 && status !== 201) throw new Error(`register failed: ${status} ${JSON.stringify(body)}`);
  return body.data as Instance;
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns the elapsed time. */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 10_000,
  stepMs = 20,
): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (await check()) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

/**
 * A request through `node:http`, for what `fetch` refuses to send (hop-by-hop headers, odd
 * paths, invalid bytes). Resolves with status, headers and the body text.
 */
export async function rawRequest(
  url: string,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string; body: Json }> {
  const { request: httpRequest } = await import('node:http');
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: options.method ?? 'GET',
        path: options.path ?? `${target.pathname}${target.search}`,
        headers: options.headers,
        insecureHTTPParser: true,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: Json = null;
          try {
            body = JSON.parse(text);
          } catch {
            body = null;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
