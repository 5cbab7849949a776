// Per-request cost of reading a typical request head with the gateway's own HTTP/1.1 request
// parser (packages/portico/src/gateway/http1/request-head.ts), in one process: no sockets, no noise
// from other work. Short on purpose (about a second); a number to compare before and after a change.
// Usage: npm run build && node bench/request-parser.mjs
import { parseRequestHead } from '../packages/portico/dist/gateway/http1/request-head.js';

const HEAD = Buffer.from(
  'GET /api/orders/12345?expand=items&limit=20 HTTP/1.1\r\n' +
    'Host: api.example.com\r\n' +
    'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n' +
    'Accept: application/json, text/plain, */*\r\n' +
    'Accept-Encoding: gzip, deflate, br\r\n' +
    'Accept-Language: en-US,en;q=0.5\r\n' +
    'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U\r\n' +
    'Connection: keep-alive\r\n' +
    'X-Request-Id: 3f2b8c1e-6a4d-4e8b-9c2f-1a7d5e9b0c34\r\n' +
    '\r\n',
  'latin1',
);
const N = 300_000;
let sink = 0;
const nanosPerParse = () => {
  const started = performance.now();
  for (let i = 0; i < N; i++) sink += parseRequestHead(HEAD, 0, 16 * 1024).end;
  return ((performance.now() - started) * 1e6) / N;
};
for (let pass = 1; pass <= 3; pass++) {
  console.log(`pass ${pass}: ${nanosPerParse().toFixed(0)} ns/parse (${HEAD.length}-byte head, 8 headers)`);
}
if (sink === 0) console.log('unreachable');
