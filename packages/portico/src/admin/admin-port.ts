import type { Server } from 'node:http';

/**
 * The admin port as the platform starts and stops it, whichever server serves it: the full
 * admin app (Fastify) where the registry or identity live, the lean one of a gateway-only process.
 *
 * @example
 * ```ts
 * const admin: AdminPort = await createLeanAdminServer({ logger, health });
 * await admin.listen({ port: 9080, host: '127.0.0.1' });
 * ```
 */
export interface AdminPort {
  readonly server: Server;
  listen(options: { port: number; host: string }): Promise<unknown>;
  /** Stops listening and ends every connection, idle or not: admin calls are short. */
  close(): Promise<unknown>;
}
