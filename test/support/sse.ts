import { SseReader } from '@portico/sdk';
/** Reads a Server-Sent Events stream with `fetch`, for tests of the registry watch. */

/** One parsed event. */
export interface SseEvent {
  event: string;
  id: string | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary event payloads.
  data: any;
}

/** An open stream: events arrive in `events`; `next` waits for the next one. */
export interface SseStream {
  readonly events: SseEvent[];
  next(timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}

/** Opens `url` as an event stream. */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  });
  if (!response.ok || !response.body) throw new Error(`watch answered ${response.status}: ${await response.text()}`);
  const events: SseEvent[] = [];
  let read = 0;
  let wake: (() => void) | undefined;
  const reader = new SseReader();
  void (async () => {
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        for (const message of reader.push(chunk)) {
          events.push({ event: message.event, id: message.id, data: JSON.parse(message.data) });
          wake?.();
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    events,
    async next(timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (read >= events.length) {
        if (Date.now() > deadline) throw new Error(`no event within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
      }
      return events[read++] as SseEvent;
    },
    close() {
      controller.abort();
    },
  };
}
