/** One Server-Sent Event. */
export interface SseEvent {
  event: string;
  /** The `id` field of this event, if it had one. */
  id: string | undefined;
  data: string;
}

/**
 * Incremental reader of a `text/event-stream` body, as the HTML standard parses it: lines end
 * with LF, CRLF or CR (a CR at the end of a chunk waits for the next, it may be half a CRLF),
 * comments (`: keepalive`) and `retry:` are skipped, an event without data is dropped.
 *
 * @example
 * ```ts
 * const reader = new SseReader();
 * for await (const chunk of response.body) for (const event of reader.push(chunk)) handle(event);
 * ```
 */
export class SseReader {
  private buffer = '';
  private readonly decoder = new TextDecoder();
  private event = '';
  private id: string | undefined;
  private data: string[] = [];

  /** Feeds a chunk; returns the events it completed. */
  push(chunk: Uint8Array): SseEvent[] {
    this.buffer += this.decoder.decode(chunk, { stream: true });
    const events: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const char = this.buffer.charCodeAt(i);
      if (char !== 10 && char !== 13) continue;
      if (char === 13 && i === this.buffer.length - 1) break;
      const event = this.line(this.buffer.slice(start, i));
      if (event) events.push(event);
      if (char === 13 && this.buffer.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const event =
      this.data.length === 0 ? undefined : { event: this.event || 'message', id: this.id, data: this.data.join('\n') };
    this.event = '';
    this.id = undefined;
    this.data = [];
    return event;
  }
}
