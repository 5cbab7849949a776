#!/usr/bin/env node
/**
 * One client process of bench/hub-fanout.mjs: opens `count` WebSocket clients to `url`, gets each
 * one subscribed, then reports on stdout (JSON lines) when every one of them has received a
 * message: for each message `seq`, the first and the last receive time (ms, performance.timeOrigin +
 * performance.now(), comparable across processes on one machine).
 *   node hub-clients.mjs <url> <count> <portico|bare> [channel]
 * portico: `?token=` in the url, waits for `authenticated`, sends `subscribe`, waits for `subscribed`.
 * bare: the socket is subscribed once open (the bare `ws` peer broadcasts to every client).
 * Frames are not JSON-parsed: the `"seq":N` is read from the raw bytes, so the client's own cost
 * per frame stays small (the same for both contenders).
 * Lines: {"ready":n,"failed":k,"ms":t}, then {"seq":s,"first":t,"last":t,"count":n} per message,
 * or {"seq":s,"incomplete":n} when not every client had it 10 s after the first.
 */
import WebSocket from 'ws';

const [url, countText, mode, channel = 'fanout'] = process.argv.slice(2);
const COUNT = Number(countText);
/** Connections being opened at a time: the hub's accept queue and auth stay unhurried. */
const OPENING = 100;
const SEQ = Buffer.from('"seq":');
const now = () => performance.timeOrigin + performance.now();
const say = (object) => process.stdout.write(`${JSON.stringify(object)}\n`);

const sockets = [];
/** seq → { count, first, last, timer } */
const seen = new Map();

function onFrame(raw) {
  const at = now();
  const i = raw.indexOf(SEQ);
  if (i === -1) return;
  let seq = 0;
  for (let j = i + SEQ.length; j < raw.length && raw[j] >= 48 && raw[j] <= 57; j++) seq = seq * 10 + raw[j] - 48;
  let entry = seen.get(seq);
  if (entry === undefined) {
    entry = { count: 0, first: at, last: at };
    entry.timer = setTimeout(() => say({ seq, incomplete: entry.count }), 10_000);
    seen.set(seq, entry);
  }
  entry.count++;
  entry.last = at;
  if (entry.count === sockets.length) {
    clearTimeout(entry.timer);
    say({ seq, first: entry.first, last: entry.last, count: entry.count });
  }
}

function open() {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const fail = () => resolve(undefined);
    ws.once('error', fail);
    ws.once('close', fail);
    if (mode === 'bare') {
      ws.once('open', () => {
        ws.on('message', onFrame);
        resolve(ws);
      });
      return;
    }
    const handshake = (raw) => {
      const text = raw.toString();
      if (text.includes('"authenticated"')) ws.send(JSON.stringify({ type: 'subscribe', channel }));
      else if (text.includes('"subscribed"')) {
        ws.off('message', handshake);
        ws.on('message', onFrame);
        resolve(ws);
      } else fail();
    };
    ws.on('message', handshake);
  });
}

const started = now();
let failed = 0;
for (let start = 0; start < COUNT; start += OPENING) {
  const batch = await Promise.all(Array.from({ length: Math.min(OPENING, COUNT - start) }, open));
  for (const ws of batch) {
    if (ws === undefined) failed++;
    else sockets.push(ws);
  }
}
say({ ready: sockets.length, failed, ms: Math.round(now() - started) });
process.once('SIGTERM', () => {
  for (const ws of sockets) ws.terminate();
  process.exit(0);
});
