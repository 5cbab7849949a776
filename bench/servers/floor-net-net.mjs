// A floor, not a product: the least a Node proxy built on raw `net` sockets on both sides can do
// per request. GET only, one read per request and per answer, no validation, no retries: what a
// gateway with an HTTP/1.1 server of its own (instead of node:http) could approach.
// `node bench/gateway-throughput.mjs --floors` runs it beside Portico.
// Usage: node floor-net-net.mjs <upstreamPort>   prints {"listening":<port>} once bound.
import { connect, createServer } from 'node:net';

const upstreamPort = Number(process.argv[2]);
const idle = [];

class Connection {
  constructor() {
    this.socket = connect({ port: upstreamPort, host: '127.0.0.1', noDelay: true });
    this.socket.on('data', (data) => this.answer(data));
    this.socket.on('error', () => {});
  }

  answer(data) {
    const end = data.indexOf('\r\n\r\n');
    const lines = data.toString('latin1', 0, end).split('\r\n');
    let head = `${lines[0]}\r\n`;
    let length = 0;
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(':');
      const name = lines[i].slice(0, colon).toLowerCase();
      if (name === 'connection' || name === 'keep-alive') continue;
      if (name === 'content-length') length = Number(lines[i].slice(colon + 1));
      head += `${lines[i]}\r\n`;
    }
    const client = this.client;
    this.client = undefined;
    idle.push(this);
    client.cork();
    client.write(`${head}\r\n`, 'latin1');
    client.write(data.subarray(end + 4, end + 4 + length));
    client.uncork();
  }
}

const server = createServer((client) => {
  client.setNoDelay(true);
  client.on('error', () => {});
  client.on('data', (data) => {
    const end = data.indexOf('\r\n\r\n');
    const connection = idle.pop() ?? new Connection();
    connection.client = client;
    connection.socket.write(data.subarray(0, end + 4));
  });
});
server.listen(0, '127.0.0.1', 4096, () => {
  process.stdout.write(`${JSON.stringify({ listening: server.address().port })}\n`);
});
process.once('SIGTERM', () => process.exit(0));
