// The contenders, in the order each round runs them. Every one serves the same path,
// /api/bench/hello, and forwards it to the upstream as /hello; each proxy is pinned alone on
// the proxy core. To add one: append an entry whose start() returns { handle, url } (see
// bench/README.md).
import { startFullChainPortico } from './full-chain.mjs';
import { startNginxProxy } from './nginx.mjs';
import { registerInstance, startPortico, waitUntilRoutable } from './portico.mjs';
import { freePort, PROXY_CORE, startProcess, waitForLine } from './processes.mjs';
import { listeningPort, UPSTREAM_BODY, waitUntilServing } from './upstream.mjs';

export const BENCH_PATH = '/api/bench/hello';

const server = (file) => new URL(`../servers/${file}`, import.meta.url).pathname;

/** A Node peer started from bench/servers/<file>, which prints the port it bound. */
function nodePeer(name, file) {
  return {
    name,
    kind: 'node-peer',
    async start({ upstream }) {
      const handle = startProcess(name, process.execPath, [server(file), String(upstream.port)], { core: PROXY_CORE });
      const port = await waitForLine(handle, listeningPort, 15_000);
      return { handle, url: `http://127.0.0.1:${port}${BENCH_PATH}` };
    },
  };
}

export const CONTENDERS = [
  {
    name: 'direct (no proxy)',
    kind: 'direct',
    // The upstream itself: the ceiling every proxy is a fraction of. It runs on the load core,
    // so its proxy columns (CPU, RSS) are the upstream's.
    async start({ upstream }) {
      return { handle: upstream.handle, url: `http://127.0.0.1:${upstream.port}${BENCH_PATH}`, shared: true };
    },
  },
  {
    name: 'nginx (1 worker)',
    kind: 'nginx',
    async start({ workDir, upstream }) {
      const port = await freePort();
      const handle = startNginxProxy({ workDir, port, upstreamPort: upstream.port, core: PROXY_CORE });
      await waitUntilServing(handle, port);
      return { handle, url: `http://127.0.0.1:${port}${BENCH_PATH}` };
    },
  },
  nodePeer('fast-gateway', 'fast-gateway.mjs'),
  nodePeer('@fastify/http-proxy', 'fastify-http-proxy.mjs'),
  {
    name: 'Portico bare proxy',
    kind: 'portico',
    async start({ workDir, upstream }) {
      const portico = await startPortico({ workDir, core: PROXY_CORE });
      // Registered like any service; the gateway routes /api/bench/* to it from the watch.
      await registerInstance(portico.adminUrl, { id: 'bench-1', service: 'bench', port: upstream.port });
      const url = `${portico.publicUrl}${BENCH_PATH}`;
      await waitUntilRoutable(url, UPSTREAM_BODY);
      return { handle: portico.handle, url };
    },
  },
  {
    name: 'Portico full policy chain',
    kind: 'portico',
    // jwt + tenant + rbac + rate limit (+ the signed assertion for the service) on the same
    // upstream: every request carries a Bearer token and a tenant (bench/lib/full-chain.mjs).
    start: ({ workDir, upstream }) => startFullChainPortico({ workDir, upstream }),
  },
];
