// A floor, not a product: the least a Node proxy built on a node:http server can do per request.
// node:http takes the request; a bare `net` client with a minimal parser (Content-Length only, no
// validation, no retries, no policies) forwards it on keep-alive connections and writes the answer.
// `node bench/gateway-throughput.mjs --floors` runs it beside Portico: how far Portico is from this design's floor.
// Usage: node floor-http-net.mjs <upstreamPort>   prints {"listening":<port>} once bound.
import { createServer } from 'node:http';
import { connect } from 'node:net';

const upstreamPort = Number(process.argv[2]);
const idle = [];

class Connection {
  constructor() {
    this.socket = connect({ port: upstreamPort, host: '127.0.0.1', noDelay: true });
    this.socket.on('data', (data) => this.answer(data));
    this.socket.on('error', () => {});
  }

  send(req, res) {
    this.res = res;
    let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
    this.socket.write(`${head}\r\n`, 'latin1');
  }

  // Assumes the whole answer arrives in one read, as the bench's short body does.
  answer(data) {
    const end = data.indexOf('\r\n\r\n');
    const lines = data.toString('latin1', 0, end).split('\r\n');
    const headers = {};
    let length = 0;
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(':');
      const name = lines[i].slice(0, colon).toLowerCase();
      if (name === 'connection' || name === 'keep-alive') continue;
      headers[name] = lines[i].slice(colon + 1).trim();
      if (name === 'content-length') length = Number(headers[name]);
    }
    const res = this.res;
    this.res = undefined;
    idle.push(this);
    res.writeHead(Number(lines[0].slice(9, 12)), headers);
    res.end(data.subarray(end + 4, end + 4 + length));
  }
}

const server = createServer((req, res) => (idle.pop() ?? new Connection()).send(req, res));
server.listen(0, '127.0.0.1', 4096, () => {
  process.stdout.write(`${JSON.stringify({ listening: server.address().port })}\n`);
});
process.once('SIGTERM', () => process.exit(0));
