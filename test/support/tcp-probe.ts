/**
 * Waiting for a server started by a test to answer on its port, by its own protocol's greeting.
 */
import { connect } from 'node:net';

/**
 * Resolves once a connection to `port` on loopback gets data starting with `answer` (after
 * writing `hello`, when given); throws after `timeoutMs`.
 *
 * @example
 * ```ts
 * await waitForAnswer(port, { hello: 'PING\r\n', answer: '+PONG', name: 'redis-server' }, 10_000);
 * ```
 */
export async function waitForAnswer(
  port: number,
  probe: { hello?: string; answer: string; name: string },
  timeoutMs: number,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await answers(port, probe.hello, probe.answer)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${probe.name} on port ${port} did not answer within ${timeoutMs} ms`);
}

function answers(port: number, hello: string | undefined, answer: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    if (hello !== undefined) socket.once('connect', () => socket.write(hello));
    socket.once('data', (data) => done(data.toString().startsWith(answer)));
  });
}
