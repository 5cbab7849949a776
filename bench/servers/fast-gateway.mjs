// The fast-gateway contender: /api/bench/* → upstream /*, with its default http proxy
// (fast-proxy-lite over a keep-alive node:http Agent).
// Usage: node fast-gateway.mjs <upstreamPort>   prints {"listening":<port>} once bound.
import gateway from 'fast-gateway';

const upstreamPort = Number(process.argv[2]);
const server = gateway({
  routes: [{ prefix: '/api/bench', target: `http://127.0.0.1:${upstreamPort}` }],
});
const listener = await server.start(0, '127.0.0.1');
process.stdout.write(`${JSON.stringify({ listening: listener.address().port })}\n`);
process.once('SIGTERM', () => process.exit(0));
