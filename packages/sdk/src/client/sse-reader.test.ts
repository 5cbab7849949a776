import { describe, expect, it } from 'vitest';
import { SseReader } from './sse-reader.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('SseReader', () => {
  it('reads events with their name, id and data, skipping comments and retry', () => {
    const reader = new SseReader();
    const events = reader.push(
      bytes('retry: 1000\n\n: keepalive\n\nevent: snapshot\nid: e:1\ndata: {"a":1}\n\nevent: change\ndata: x\n\n'),
    );
    expect(events).toEqual([
      { event: 'snapshot', id: 'e:1', data: '{"a":1}' },
      { event: 'change', id: undefined, data: 'x' },
    ]);
  });

  it('joins data lines and names an unnamed event "message"', () => {
    expect(new SseReader().push(bytes('data: a\ndata:b\ndata\n\n'))).toEqual([
      { event: 'message', id: undefined, data: 'a\nb\n' },
    ]);
  });

  it('completes events split across chunks anywhere, multi-byte characters included', () => {
    const text = 'event: change\r\nid: e:2\r\ndata: {"name":"café ☕"}\r\n\r\n';
    const all = bytes(text);
    for (let cut = 1; cut < all.length; cut++) {
      const reader = new SseReader();
      const events = [...reader.push(all.slice(0, cut)), ...reader.push(all.slice(cut))];
      expect(events, `cut at ${cut}`).toEqual([{ event: 'change', id: 'e:2', data: '{"name":"café ☕"}' }]);
    }
  });

  it('accepts CR alone as a line end, and holds a trailing CR until it knows it is not CRLF', () => {
    const reader = new SseReader();
    expect(reader.push(bytes('data: one\r\r'))).toEqual([]);
    expect(reader.push(bytes('data: two\r\r'))).toEqual([{ event: 'message', id: undefined, data: 'one' }]);
    expect(reader.push(bytes('\n'))).toEqual([{ event: 'message', id: undefined, data: 'two' }]);
  });

  it('drops an event with no data and does not leak its name into the next', () => {
    const reader = new SseReader();
    expect(reader.push(bytes('event: nothing\nid: 9\n\ndata: next\n\n'))).toEqual([
      { event: 'message', id: undefined, data: 'next' },
    ]);
  });
});
