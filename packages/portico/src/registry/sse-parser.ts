/** One Server-Sent Event. */
export interface SseMessage {
  event: string;
  id: string | undefined;
  data: string;
}

/**
 * Incremental parser of a `text/event-stream` body: feed it chunks as they arrive, it calls
 * `onMessage` for each complete event. Comments (keep-alives) and `retry:` lines are skipped.
 *
 * @example
 * ```ts
 * const parser = new SseParser((m) => console.log(m.event, m.data));
 * for await (const chunk of body) parser.push(chunk);
 * ```
 */
export class SseParser {
  private buffer = '';
  private readonly decoder = new TextDecoder();

  constructor(private readonly onMessage: (message: SseMessage) => void) {}

  push(chunk: Uint8Array): void {
    this.buffer += this.decoder.decode(chunk, { stream: true });
    let end = this.buffer.indexOf('\n\n');
    while (end !== -1) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const message = parseBlock(block);
      if (message) this.onMessage(message);
      end = this.buffer.indexOf('\n\n');
    }
  }
}

function parseBlock(block: string): SseMessage | undefined {
  let event = 'message';
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'id') id = value;
    else if (field === 'data') data.push(value);
  }
  return data.length === 0 ? undefined : { event, id, data: data.join('\n') };
}
