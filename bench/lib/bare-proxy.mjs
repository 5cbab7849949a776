// The single-gateway setup the focused benches share (gateway-throughput, tracing-overhead,
// profile-portico): nginx as the upstream on the load core, Portico pinned on the proxy core
// with the bench service registered, and a wrk run that also reads Portico's CPU time.
import { BENCH_PATH } from './contenders.mjs';
import { wrk } from './load.mjs';
import { startNginxUpstream } from './nginx.mjs';
import { registerInstance, startPortico, waitUntilRoutable } from './portico.mjs';
import { cpuSeconds, freePort, LOAD_CORE, PROXY_CORE } from './processes.mjs';
import { UPSTREAM_BODY, waitUntilServing } from './upstream.mjs';

/** nginx serving the bench body on the load core; resolves with its port. */
export async function startBenchUpstream(workDir) {
  const port = await freePort();
  const handle = startNginxUpstream({ workDir, port, body: UPSTREAM_BODY, core: LOAD_CORE });
  await waitUntilServing(handle, port);
  return port;
}

/**
 * Portico on the proxy core (`options` as for startPortico), with `bench` registered at the
 * upstream and routed; resolves with the process and the bench URL.
 */
export async function startRoutedPortico(workDir, upstreamPort, options = {}) {
  const portico = await startPortico({ workDir, core: PROXY_CORE, ...options });
  await registerInstance(portico.adminUrl, { id: 'bench-1', service: 'bench', port: upstreamPort });
  const url = `${portico.publicUrl}${BENCH_PATH}`;
  await waitUntilRoutable(url, UPSTREAM_BODY);
  return { portico, url };
}

/** One wrk run of `seconds` at 50 connections, with the CPU time process `pid` spent per response. */
export async function measuredRun(url, pid, seconds) {
  const cpuBefore = cpuSeconds(pid);
  const result = await wrk.run({ url, connections: 50, seconds });
  const cpuMicros = ((cpuSeconds(pid) - cpuBefore) * 1e6) / result.requests;
  return { result, perSecond: result.requests / result.seconds, cpuMicros };
}
