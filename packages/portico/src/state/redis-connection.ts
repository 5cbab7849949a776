import { Redis } from 'ioredis';

/** How a Redis connection of the shared state behaves. */
export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. */
  url: string;
  /** Longest wait for one command's answer; past it the command fails (the caller falls back). */
  timeoutMs: number;
}

/**
 * A connection for state that has a local stand-in (rate limits, login throttle, fallback cache):
 * commands never queue while disconnected and time out after `timeoutMs`, so an outage never
 * holds a request up, and the client reconnects in the background. The caller listens to
 * `error` (ioredis reports each failed reconnect there).
 *
 * @example
 * ```ts
 * const client = openRedis({ url: 'redis://127.0.0.1:6379', timeoutMs: 100 });
 * client.on('error', () => {});
 * ```
 */
export function openRedis(options: RedisConnectionOptions): Redis {
  return new Redis(options.url, {
    commandTimeout: options.timeoutMs,
    connectTimeout: Math.max(options.timeoutMs, 1_000),
    // Fail at once rather than queue: a queued command is a request waiting on an outage.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // Reconnect in the background, quickly at first, then once a second.
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 1_000),
  });
}

/**
 * The URL without its password, for logs.
 *
 * @example
 * ```ts
 * redactedUrl('redis://:secret@cache:6379'); // 'redis://:***@cache:6379'
 * ```
 */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis';
  }
}
