import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { type CorsConfig, cors } from './cors.js';
import { type AccessPhase, ANSWERED, policyConfigProblems } from './index.js';
import type { PolicyExchange } from './policy-exchange.js';

/** A response that records what the policy wrote; the policy touches nothing else of it. */
function recordingResponse() {
  const headers: Record<string, string> = {};
  const written = { status: 0, ended: false };
  const res = {
    setHeader: (name: string, value: string) => {
      headers[name] = value;
    },
    writeHead: (status: number) => {
      written.status = status;
    },
    end: () => {
      written.ended = true;
    },
  };
  return { res: res as unknown as ServerResponse, headers, written };
}

function run(config: CorsConfig, method: string, requestHeaders: Record<string, string>) {
  const phase = cors.compile({ service: 's', auth: 'any', endpoints: [] }, config, {
    identity: undefined,
  }) as AccessPhase;
  const { res, headers, written } = recordingResponse();
  const exchange = {
    method,
    req: { headers: requestHeaders } as unknown as IncomingMessage,
    res,
    requestId: 'r1',
  } as unknown as PolicyExchange;
  return { verdict: phase(exchange), headers, written };
}

const PREFLIGHT = { origin: 'https://app.example.com', 'access-control-request-method': 'PUT' };

describe('cors policy', () => {
  it('does nothing for a service without CORS settings', () => {
    expect(cors.compile({ service: 's', auth: 'any', endpoints: [] }, undefined, { identity: undefined })).toBe(
      undefined,
    );
  });

  it('answers a preflight from an allowed origin itself, before authentication', () => {
    const { verdict, headers, written } = run({ origins: ['https://app.example.com'] }, 'OPTIONS', PREFLIGHT);
    expect(verdict).toBe(ANSWERED);
    expect(written).toEqual({ status: 204, ended: true });
    expect(headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(headers['access-control-allow-methods']).toBe('GET, HEAD, POST, PUT, PATCH, DELETE');
    expect(headers['access-control-allow-headers']).toContain('authorization');
    expect(headers['access-control-max-age']).toBe('600');
    expect(headers.vary).toBe('Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
    expect(headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('answers a preflight from another origin without any CORS grant', () => {
    const { verdict, headers, written } = run({ origins: ['https://app.example.com'] }, 'OPTIONS', {
      ...PREFLIGHT,
      origin: 'https://evil.example.net',
    });
    expect(verdict).toBe(ANSWERED);
    expect(written.status).toBe(204);
    expect(headers['access-control-allow-origin']).toBeUndefined();
    expect(headers['access-control-allow-methods']).toBeUndefined();
  });

  it('lets a plain OPTIONS (no Access-Control-Request-Method) and requests without Origin through', () => {
    expect(run({ origins: ['*'] }, 'OPTIONS', { origin: 'https://a.example' }).verdict).toBeUndefined();
    const { verdict, headers } = run({ origins: ['*'] }, 'GET', {});
    expect(verdict).toBeUndefined();
    expect(headers).toEqual({});
  });

  it('grants an actual request from an allowed origin and exposes the ids and rate-limit headers', () => {
    const { verdict, headers } = run({ origins: ['https://*.example.com'] }, 'GET', {
      origin: 'https://eu.app.example.com',
    });
    expect(verdict).toBeUndefined();
    expect(headers['access-control-allow-origin']).toBe('https://eu.app.example.com');
    expect(headers['access-control-expose-headers']).toContain('ratelimit-remaining');
    expect(headers.vary).toBe('Origin');
  });

  it('matches subdomain wildcards on whole labels and the scheme exactly', () => {
    const config = { origins: ['https://*.example.com'] };
    const granted = (origin: string) => run(config, 'GET', { origin }).headers['access-control-allow-origin'];
    expect(granted('https://a.example.com')).toBe('https://a.example.com');
    expect(granted('https://a.b.example.com')).toBe('https://a.b.example.com');
    expect(granted('https://example.com')).toBeUndefined();
    expect(granted('https://evilexample.com')).toBeUndefined();
    expect(granted('https://a.example.com.evil.net')).toBeUndefined();
    expect(granted('http://a.example.com')).toBeUndefined();
  });

  it('echoes the origin instead of `*` when credentials are allowed', () => {
    const anyWithCredentials = run({ origins: ['*'], credentials: true }, 'GET', { origin: 'https://x.test' });
    expect(anyWithCredentials.headers['access-control-allow-origin']).toBe('https://x.test');
    expect(anyWithCredentials.headers['access-control-allow-credentials']).toBe('true');
    const any = run({ origins: ['*'] }, 'GET', { origin: 'https://x.test' });
    expect(any.headers['access-control-allow-origin']).toBe('*');
  });

  it('rejects malformed settings with the path of the problem', () => {
    const check = (value: unknown) => policyConfigProblems([cors], { cors: value }, ['services', 'orders', 'policies']);
    expect(check({ origins: ['app.example.com'] })[0]?.path.join('.')).toBe('services.orders.policies.cors.origins.0');
    expect(check({ origins: [] })).not.toEqual([]);
    expect(check({ origins: ['*'], maxAgeSeconds: -1 })[0]?.message).toBe('must be >= 0');
    expect(check({ origins: ['*'], credentials: true })).toEqual([]);
  });
});
