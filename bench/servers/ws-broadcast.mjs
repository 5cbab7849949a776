// The floor of bench/hub-fanout.mjs: a bare `ws` WebSocketServer on node:http that broadcasts
// each `POST /publish` body to every connected client, as ws's README does it: the frame
// serialized once, `client.send(frame)` for each. No auth, no channels, no bus, no history.
// Usage: node ws-broadcast.mjs   prints {"listening":<port>} once bound; exits on SIGTERM.
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ noServer: true });
const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/publish') {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString());
    const frame = JSON.stringify({ type: 'message', channel: 'fanout', id: body.id, data: body.data });
    for (const client of wss.clients) client.send(frame);
    res.writeHead(201, { 'content-type': 'application/json' }).end('{"success":true}');
  });
});
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ listening: server.address().port })}\n`);
});
process.once('SIGTERM', () => process.exit(0));
