import pg from 'pg';

/** A dedicated `LISTEN` connection; `close` ends it. */
export interface StoreListener {
  close(): Promise<void>;
}

/**
 * What a listener reports: a notification's payload, or `undefined` after a reconnect, when
 * notifications may have been missed (NOTIFY has no replay) and the listener should look again.
 */
export type NotificationHandler = (payload: string | undefined) => void;

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;
const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5000;

/**
 * Holds ONE connection of its own (outside the pool: a pooled connection cannot stay in LISTEN)
 * listening on `channel`, and reconnects with a growing delay (250 ms to 5 s) when it drops.
 * Resolves even when the first connect fails (it keeps trying): listening is a wake-up aid, and
 * whoever uses it must keep a poll as the fallback.
 *
 * @example
 * ```ts
 * const listener = await listenPostgres(url, 'portico_bus', (topic) => wake(topic));
 * await listener.close();
 * ```
 */
export async function listenPostgres(
  url: string,
  channel: string,
  onNotification: NotificationHandler,
): Promise<StoreListener> {
  if (!CHANNEL.test(channel)) throw new Error(`channel "${channel}" must be a lowercase identifier`);
  let client: pg.Client | undefined;
  let closed = false;
  let retryMs = FIRST_RETRY_MS;
  let timer: NodeJS.Timeout | undefined;
  /** Set once a connection failed or dropped: the next one may have missed notifications. */
  let troubled = false;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
    next.on('notification', (message) => {
      if (message.channel === channel) onNotification(message.payload ?? '');
    });
    next.on('error', () => drop(next));
    next.on('end', () => drop(next));
    try {
      await next.connect();
      await next.query(`LISTEN ${channel}`);
    } catch {
      drop(next);
      return;
    }
    if (closed) {
      await next.end().catch(() => {});
      return;
    }
    client = next;
    retryMs = FIRST_RETRY_MS;
    if (troubled) onNotification(undefined);
    troubled = false;
  };

  function drop(which: pg.Client): void {
    if (client === which) client = undefined;
    else if (client) return; // an old connection's late event: the current one is fine
    which.end().catch(() => {});
    troubled = true;
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, retryMs);
    timer.unref();
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  }

  await connect();
  return {
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await client?.end().catch(() => {});
      client = undefined;
    },
  };
}
