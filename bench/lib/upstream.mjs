// The one upstream every contender forwards to. It must not be the bottleneck, so two
// candidates are measured and the faster one is kept: nginx `return 200` and a tiny node:http
// server. The measurement gives each its own core (the upstream on the load core, the
// generator on the other, idle until the contenders start) so it ranks the servers, not the
// generator.
import { startNginxUpstream } from './nginx.mjs';
import { freePort, LOAD_CORE, PROXY_CORE, startProcess, stopProcess, waitForLine } from './processes.mjs';
import { probe } from './verify.mjs';

const NODE_UPSTREAM = new URL('../servers/node-upstream.mjs', import.meta.url).pathname;

/** The fixed body: short, and distinctive enough that an error page cannot match it. */
export const UPSTREAM_BODY = 'portico-bench: hello from the upstream';

/**
 * Starts both candidates, loads each for `seconds`, stops the slower one.
 * @returns the kept upstream `{ name, port, handle }` and the measurements for the report
 */
export async function startFastestUpstream({ workDir, generator, connections, seconds }) {
  const candidates = [
    { name: 'nginx (return 200)', start: startNginx },
    { name: 'node:http', start: startNode },
  ];
  const measured = [];
  try {
    for (const candidate of candidates) {
      const { handle, port } = await candidate.start(workDir);
      measured.push({ ...candidate, handle, port });
      const problem = await probe(`http://127.0.0.1:${port}/hello`, UPSTREAM_BODY);
      if (problem) throw new Error(`upstream ${candidate.name} is broken: ${problem}`);
    }
    for (const candidate of measured) {
      const url = `http://127.0.0.1:${candidate.port}/hello`;
      await generator.run({ url, connections, seconds: 1, core: PROXY_CORE });
      const result = await generator.run({ url, connections, seconds, core: PROXY_CORE });
      candidate.reqPerSec = result.requests / result.seconds;
      candidate.errors = result.errors;
    }
  } catch (error) {
    await Promise.all(measured.map((candidate) => stopProcess(candidate.handle)));
    throw error;
  }
  const usable = measured.filter((candidate) => candidate.errors === 0);
  if (usable.length === 0) throw new Error('no upstream candidate answered without errors');
  const fastest = usable.reduce((best, candidate) => (candidate.reqPerSec > best.reqPerSec ? candidate : best));
  for (const candidate of measured) if (candidate !== fastest) await stopProcess(candidate.handle);
  return {
    upstream: { name: fastest.name, port: fastest.port, handle: fastest.handle },
    measurements: measured.map(({ name, reqPerSec, errors }) => ({
      name,
      reqPerSec,
      errors,
      kept: name === fastest.name,
    })),
  };
}

async function startNginx(workDir) {
  const port = await freePort();
  const handle = startNginxUpstream({ workDir, port, body: UPSTREAM_BODY, core: LOAD_CORE });
  await waitUntilServing(handle, port);
  return { handle, port };
}

async function startNode() {
  const handle = startProcess('node upstream', process.execPath, [NODE_UPSTREAM, UPSTREAM_BODY], { core: LOAD_CORE });
  const port = await waitForLine(handle, listeningPort, 10_000);
  return { handle, port };
}

/** The `{"listening":port}` line the bench's own servers print once bound. */
export function listeningPort(line) {
  if (!line.startsWith('{"listening"')) return undefined;
  return JSON.parse(line).listening;
}

/** nginx prints nothing when ready; poll its port (bounded). */
export async function waitUntilServing(handle, port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (handle.child.exitCode !== null) throw new Error(`${handle.name} exited: ${handle.tail.join('\n')}`);
    const problem = await probe(`http://127.0.0.1:${port}/`, undefined, 1);
    if (!problem.startsWith('request failed')) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${handle.name} did not listen on ${port} in ${timeoutMs} ms: ${handle.tail.join('\n')}`);
}
