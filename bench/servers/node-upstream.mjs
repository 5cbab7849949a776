// The node:http upstream candidate: every request gets 200 and the fixed body.
// Usage: node node-upstream.mjs <body>   prints {"listening":<port>} once bound.
import { createServer } from 'node:http';

const body = Buffer.from(process.argv[2] ?? 'ok');
const headers = { 'content-type': 'text/plain', 'content-length': String(body.length) };

const server = createServer({ keepAliveTimeout: 300_000 }, (_req, res) => {
  res.writeHead(200, headers);
  res.end(body);
});
server.listen(0, '127.0.0.1', 4096, () => {
  process.stdout.write(`${JSON.stringify({ listening: server.address().port })}\n`);
});
process.once('SIGTERM', () => process.exit(0));
