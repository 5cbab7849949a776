// The @fastify/http-proxy contender on fastify 5: /api/bench/* → upstream /*, through
// @fastify/reply-from's undici pool. Logging off, as fastify's own default.
// Usage: node fastify-http-proxy.mjs <upstreamPort>   prints {"listening":<port>} once bound.
import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';

const upstreamPort = Number(process.argv[2]);
const app = Fastify({ logger: false });
await app.register(proxy, { upstream: `http://127.0.0.1:${upstreamPort}`, prefix: '/api/bench', rewritePrefix: '' });
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ listening: app.server.address().port })}\n`);
process.once('SIGTERM', () => process.exit(0));
