/**
 * Steady GET load over a fixed set of keep-alive connections (one `node:http` agent socket per
 * client), the shape of traffic that exposes a crashed instance: every client has a request in
 * flight at any moment, so a dying instance takes its share of them down at once.
 */
import { Agent, request } from 'node:http';

/** One GET that did not get a 200. */
export interface LoadFailure {
  status: number;
  /** The gateway's error code, or the client's own error code when no answer came. */
  code: string;
  message: string;
  /** `Date.now()` when it was seen, to tell a burst from a trickle. */
  at: number;
}

/** A running load; `stop` ends it and resolves once every client's last request is answered. */
export interface KeepAliveLoad {
  /** GETs answered so far (any status). */
  readonly answered: () => number;
  /** 200 answers by instance (the echo fixture's `x-echo-instance` header). */
  readonly byInstance: Map<string, number>;
  readonly failures: LoadFailure[];
  stop(): Promise<{ answered: number; failures: LoadFailure[]; byInstance: Map<string, number> }>;
}

/**
 * Starts `clients` loops, each sending GETs to `url` one after another on its own keep-alive
 * connection, with no pause between them.
 *
 * @example
 * ```ts
 * const load = startKeepAliveLoad(`${gateway}/api/echo/orders`, 50);
 * const { failures } = await load.stop();
 * ```
 */
export function startKeepAliveLoad(url: string, clients: number): KeepAliveLoad {
  const agent = new Agent({ keepAlive: true, maxSockets: clients, maxFreeSockets: clients });
  const target = new URL(url);
  const failures: LoadFailure[] = [];
  const byInstance = new Map<string, number>();
  let answered = 0;
  let running = true;
  const once = () =>
    new Promise<void>((resolve) => {
      const req = request(
        { host: target.hostname, port: target.port, path: target.pathname, method: 'GET', agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            answered++;
            if (res.statusCode === 200) {
              const instance = String(res.headers['x-echo-instance']);
              byInstance.set(instance, (byInstance.get(instance) ?? 0) + 1);
            } else {
              const text = Buffer.concat(chunks).toString('utf8');
              let error: { code?: string; message?: string } | undefined;
              try {
                error = JSON.parse(text).error;
              } catch {}
              failures.push({
                status: res.statusCode ?? 0,
                code: error?.code ?? '',
                message: error?.message ?? text.slice(0, 200),
                at: Date.now(),
              });
            }
            resolve();
          });
          res.on('error', (error: NodeJS.ErrnoException) => {
            failures.push({ status: 0, code: error.code ?? 'RESPONSE_ERROR', message: error.message, at: Date.now() });
            resolve();
          });
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        failures.push({ status: 0, code: error.code ?? 'REQUEST_ERROR', message: error.message, at: Date.now() });
        resolve();
      });
      req.end();
    });
  const loops = Array.from({ length: clients }, async () => {
    while (running) await once();
  });
  return {
    answered: () => answered,
    byInstance,
    failures,
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return { answered, failures, byInstance };
    },
  };
}
