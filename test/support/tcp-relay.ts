/**
 * A TCP relay on a fixed loopback port that a test can cut and restore: what a network
 * partition between a gateway and its registry looks like, while both processes keep running.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** A relay to `targetPort`; `cut()` closes it and every connection through it, `restore()` listens again. */
export interface TcpRelay {
  readonly port: number;
  readonly url: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
}

/**
 * Starts a relay from an ephemeral loopback port to `targetPort`.
 *
 * @example
 * ```ts
 * const relay = await tcpRelay(registryPort);
 * await relay.cut(); // the gateway loses its registry
 * await relay.restore();
 * ```
 */
export async function tcpRelay(targetPort: number): Promise<TcpRelay> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const next = createServer((client) => {
        const upstream = connect(targetPort, '127.0.0.1');
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => undefined);
        }
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.pipe(upstream).pipe(client);
      });
      next.once('error', reject);
      next.listen(port, '127.0.0.1', () => {
        server = next;
        resolve((next.address() as { port: number }).port);
      });
    });
  const port = await listen(0);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    async cut() {
      const closing = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => (closing ? closing.close(resolve) : resolve(undefined)));
    },
    async restore() {
      await listen(port);
    },
  };
}
