// Per-message cost of the gateway's two HTTP/1.1 head parsers, in one process: no sockets, no
// noise from other work. Short on purpose (a few seconds); a number to compare before and after
// a change to packages/portico/src/gateway/http1/request-head.ts or upstream-client/response-parser.ts.
// Usage: npm run build && node bench/head-parsers.mjs
import { parseRequestHead } from '../packages/portico/dist/gateway/http1/request-head.js';
import { ResponseParser } from '../packages/portico/dist/gateway/upstream-client/response-parser.js';

const REQUEST = Buffer.from(
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
// What nginx and a typical JSON service answer: Title-Case names, a few cache and security headers.
const RESPONSE = Buffer.from(
  'HTTP/1.1 200 OK\r\n' +
    'Server: nginx/1.22.1\r\n' +
    'Date: Sat, 05 Dec 2026 10:00:00 GMT\r\n' +
    'Content-Type: application/json; charset=utf-8\r\n' +
    'Content-Length: 13\r\n' +
    'Connection: keep-alive\r\n' +
    'Cache-Control: no-store\r\n' +
    'ETag: "5f3a-17"\r\n' +
    'Vary: Accept-Encoding\r\n' +
    'x-request-id: 3f2b8c1e-6a4d-4e8b-9c2f-1a7d5e9b0c34\r\n' +
    '\r\n' +
    '{"ok":"true"}',
  'latin1',
);
const N = 300_000;
let sink = 0;
const responseSink = {
  onHead: (status) => (sink += status),
  onBody: (chunk) => (sink += chunk.length),
  onComplete() {},
};
const parser = new ResponseParser(responseSink);
const timed = (parse) => {
  const started = performance.now();
  for (let i = 0; i < N; i++) parse();
  return ((performance.now() - started) * 1e6) / N;
};
for (let pass = 1; pass <= 3; pass++) {
  const request = timed(() => (sink += parseRequestHead(REQUEST, 0, 16 * 1024).end));
  const response = timed(() => {
    parser.expect('GET');
    parser.execute(RESPONSE);
  });
  console.log(
    `pass ${pass}: request head ${request.toFixed(0)} ns (${REQUEST.length} bytes, 8 headers); ` +
      `response ${response.toFixed(0)} ns (${RESPONSE.length} bytes, 9 headers)`,
  );
}
if (sink === 0) console.log('unreachable');
