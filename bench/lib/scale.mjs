// Portico with 10k services (10k routes, 10k instances) registered through the admin API, as
// a fleet would: its memory, and whether matching a request gets slower with the table's size.
// The same measurements run before and after, on the same process, so the difference is the
// table's.
import { Pool } from 'undici';
import { measurePropagation } from '../registry-latency.mjs';
import { fixedRate } from './load.mjs';
import { registerInstance, startPortico, supportsGatewayRole, waitUntilRoutable } from './portico.mjs';
import { coreTimes, cpuSeconds, followRss, PROXY_CORE, rssMiB, sleep, stopProcess } from './processes.mjs';
import { UPSTREAM_BODY } from './upstream.mjs';
import { probe } from './verify.mjs';

const CONCURRENT_REGISTRATIONS = 16;
/**
 * How long the gateway-only process is left idle after the 10k registrations before its RSS is
 * judged (see followRss): long enough for V8's memory reducer in every run seen so far.
 */
const GATEWAY_SETTLE_MS = 40_000;

/**
 * Fills `into` as it goes (`states`, `propagation`, `registration`, `startRssMiB`), so a failure
 * half-way still leaves what was measured for the report.
 */
export async function measureScale({
  workDir,
  upstreamPort,
  services,
  generator,
  connections,
  fixedRateOptions,
  propagationChanges,
  quietGate,
  log,
  into,
}) {
  const portico = await startPortico({ workDir, core: PROXY_CORE, name: 'portico (scale)' });
  const { pid } = portico.handle;
  await sleep(500);
  into.startRssMiB = rssMiB(pid);
  await registerInstance(portico.adminUrl, { id: 'bench-1', service: 'bench', port: upstreamPort });
  await waitUntilRoutable(`${portico.publicUrl}/api/bench/hello`, UPSTREAM_BODY);
  const { states, propagation } = into;
  // The data plane alone, as it runs in distributed mode: a `portico start gateway` process that
  // learns the same 10k routes through the registry's watch. Only its memory is measured.
  const gateway = supportsGatewayRole()
    ? await startPortico({
        workDir,
        core: PROXY_CORE,
        name: 'portico gateway (scale)',
        role: 'gateway',
        extraEnv: { PORTICO_REGISTRY_URL: portico.adminUrl },
      })
    : undefined;
  // Followed while the all-in-one process is measured (no registry change reaches the gateway
  // then, so it sits idle), and read before the next registry change.
  const followGateway = async (service) => {
    if (!gateway) return undefined;
    await waitUntilRoutable(`${gateway.publicUrl}/api/${service}/hello`, UPSTREAM_BODY, 15_000);
    return followRss(gateway.handle.pid);
  };
  const gatewayRss = async (label, follower, afterMs) => {
    if (!follower) return;
    const { firstMiB, settledMiB, afterSeconds } = await follower.settled(afterMs);
    into.gatewayOnly.push({ label, rssMiB: settledMiB, firstRssMiB: firstMiB, afterSeconds });
  };
  into.gatewayOnly = [];
  const gatewayAtOne = await followGateway('bench');

  const measureState = async (label, serviceCount, service) => {
    const url = `${portico.publicUrl}/api/${service}/hello`;
    const problem = await probe(url, UPSTREAM_BODY);
    // Settled memory, before this state's load adds buffers and JIT code.
    await sleep(1_000);
    const idleRssMiB = rssMiB(pid);
    await quietGate.wait();
    const rate = await fixedRate({ url, expectedBody: UPSTREAM_BODY, ...fixedRateOptions });
    await generator.run({ url, connections, seconds: 1 });
    await quietGate.wait();
    const cpuBefore = cpuSeconds(pid);
    const coresBefore = coreTimes();
    const load = await generator.run({ url, connections, seconds: 5 });
    const cpu = cpuSeconds(pid) - cpuBefore;
    const coresAfter = coreTimes();
    const proxyCore = coresAfter[PROXY_CORE] && coresBefore[PROXY_CORE];
    const proxyCoreBusyPercent = proxyCore
      ? ((coresAfter[PROXY_CORE].busy - coresBefore[PROXY_CORE].busy) /
          (coresAfter[PROXY_CORE].total - coresBefore[PROXY_CORE].total)) *
        100
      : Number.NaN;
    const state = {
      label,
      services: serviceCount,
      instances: serviceCount,
      path: `/api/${service}/hello`,
      idleRssMiB,
      loadedRssMiB: rssMiB(pid),
      reqPerSec: load.requests / load.seconds,
      cpuMicrosPerRequest: (cpu / load.requests) * 1e6,
      cpuPercent: (cpu / load.seconds) * 100,
      othersOnProxyCorePercent: Math.max(0, proxyCoreBusyPercent - (cpu / load.seconds) * 100),
      fixedRate: rate,
      problems: [problem, load.errorDetail, rate.wrong + rate.failed > 0 ? rate.firstProblem : '']
        .filter(Boolean)
        .join('; '),
    };
    states.push(state);
    log(
      `  ${label.padEnd(22)} rss ${idleRssMiB.toFixed(1)} MiB idle, ${state.loadedRssMiB.toFixed(1)} loaded  ` +
        `${state.reqPerSec.toFixed(0)} req/s  cpu ${state.cpuPercent.toFixed(0)}% (others ${state.othersOnProxyCorePercent.toFixed(0)}%)  ` +
        `${state.cpuMicrosPerRequest.toFixed(1)} µs/req  ` +
        `p50 ${rate.latencyMs.p50.toFixed(3)} p99 ${rate.latencyMs.p99.toFixed(3)} ms${state.problems ? `  PROBLEM: ${state.problems}` : ''}`,
    );
  };

  // Each change registers a new service; prefixes keep the two runs' services apart.
  const propagate = async (label, prefix) => {
    const { adminUrl, publicUrl } = portico;
    propagation[label] = await measurePropagation({
      adminUrl,
      publicUrl,
      upstreamPort,
      changes: propagationChanges,
      prefix,
    });
    log(`  propagation (${label}): ${propagationChanges} registrations and deregistrations measured`);
  };

  await measureState('1 service', 1, 'bench');
  await gatewayRss('1 service', gatewayAtOne, 0);
  await propagate('1 service', 'fresh');

  const admin = new Pool(portico.adminUrl, { connections: CONCURRENT_REGISTRATIONS });
  const started = performance.now();
  let next = 0;
  const registerNext = async () => {
    while (next < services) {
      const i = next++;
      const name = `scale-${String(i).padStart(5, '0')}`;
      await registerInstance(portico.adminUrl, { id: name, service: name, port: upstreamPort, dispatcher: admin });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENT_REGISTRATIONS }, registerNext));
  const registrationSeconds = (performance.now() - started) / 1000;
  await admin.close();
  into.registration = { services, seconds: registrationSeconds, concurrency: CONCURRENT_REGISTRATIONS };
  log(`  registered ${services} services in ${registrationSeconds.toFixed(1)} s`);

  const middle = `scale-${String(Math.floor(services / 2)).padStart(5, '0')}`;
  await waitUntilRoutable(`${portico.publicUrl}/api/${middle}/hello`, UPSTREAM_BODY);
  const gatewayAtScale = await followGateway(middle);
  await measureState(`${services + 1} services`, services + 1, middle);
  await gatewayRss(`${services + 1} services`, gatewayAtScale, GATEWAY_SETTLE_MS);
  if (gateway) await stopProcess(gateway.handle);

  await propagate(`${services} services`, 'loaded');
  await stopProcess(portico.handle);
}
