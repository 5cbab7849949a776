import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { sendError, setHeaders } from '../../http/envelope-response.js';
import type { GatewayResponse } from '../../http/gateway-message.js';
import { requestIdFrom } from '../../http/request-id.js';
import { type ChainOutcome, PolicyExchange, runChain } from '../policies/index.js';
import type { RoutingTable, ServiceRoute } from '../routing-table.js';

/** Header names a caller may not send through: the gateway alone sets them (identity assertion). */
const GATEWAY_HEADERS = /^x-portico-/;

/**
 * Proxies a WebSocket upgrade on `/api/{service}/...` to a healthy instance, after the same
 * policy chain as HTTP (authentication, tenancy, authorization, rate limit). A refusal is an
 * HTTP error envelope written before any switch of protocols; on the service's 101 the two
 * sockets are piped together.
 *
 * @example
 * ```ts
 * fallback.on('upgrade', (req, socket, head) => proxyWebSocket(req, socket, head, 'orders', '/live', table, logger));
 * ```
 */
export function proxyWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  service: string,
  rest: string,
  table: RoutingTable,
  logger: Logger,
): void {
  const requestId = requestIdFrom(req.headers['x-request-id']);
  // A response on the raw socket: the envelope helpers then write the refusal as for HTTP.
  const res = new ServerResponse(req);
  res.assignSocket(socket as Socket);
  res.shouldKeepAlive = false;
  const answer = res as unknown as GatewayResponse;
  const route = table.route(service);
  if (route === undefined) {
    sendError(answer, requestId, 'NOT_FOUND', `service ${service} is not registered`);
    return;
  }
  if (route.chain === undefined) {
    forward(req, socket, head, res, route, rest, requestId, undefined, logger);
    return;
  }
  const outcome: ChainOutcome = {
    pass: (policed) => forward(req, socket, head, res, route, rest, requestId, policed.forward, logger),
    deny: (policed, denial) => {
      setHeaders(answer, policed.answer);
      setHeaders(answer, denial.headers);
      sendError(answer, requestId, denial.code, denial.message, denial.details);
    },
    fail: (_policed, error) => {
      logger.error({ err: error, requestId }, 'gateway policy failed on an upgrade');
      sendError(answer, requestId, 'INTERNAL_ERROR', 'the gateway could not check this request');
    },
  };
  runChain(new PolicyExchange(req as never, answer, route, route.chain, rest, requestId), outcome);
}

function forward(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  res: ServerResponse,
  route: ServiceRoute,
  rest: string,
  requestId: string,
  added: Record<string, string> | undefined,
  logger: Logger,
): void {
  const answer = res as unknown as GatewayResponse;
  const upstream = route.upstreams.length === 0 ? undefined : route.balancer.pick(route.upstreams);
  if (upstream === undefined) {
    sendError(answer, requestId, 'SERVICE_UNAVAILABLE', `service ${route.name} has no healthy instance`);
    return;
  }
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) if (!GATEWAY_HEADERS.test(name)) headers[name] = value;
  Object.assign(headers, added, { 'x-request-id': requestId });
  const { host, port } = upstream.instance;
  const out = httpRequest({
    host: host.replace(/^\[(.*)\]$/, '$1'),
    port,
    method: req.method,
    path: upstream.pathPrefix + rest,
    headers,
  });
  out.on('upgrade', (upRes, upSocket, upHead) => {
    res.detachSocket(socket as Socket);
    let lines = 'HTTP/1.1 101 Switching Protocols\r\n';
    for (let i = 0; i < upRes.rawHeaders.length; i += 2)
      lines += `${upRes.rawHeaders[i]}: ${upRes.rawHeaders[i + 1]}\r\n`;
    socket.write(`${lines}\r\n`);
    if (upHead.length > 0) socket.write(upHead);
    if (head.length > 0) upSocket.write(head);
    upSocket.pipe(socket).pipe(upSocket);
    const end = () => {
      socket.destroy();
      upSocket.destroy();
    };
    socket.on('error', end).on('close', end);
    upSocket.on('error', end).on('close', end);
  });
  // The service answered without switching: its answer goes back as it is.
  out.on('response', (upRes) => {
    res.writeHead(upRes.statusCode ?? 502, upRes.headers);
    upRes.pipe(res);
  });
  out.on('error', (error) => {
    logger.warn({ err: error, requestId, service: route.name }, 'WebSocket upgrade to the service failed');
    if (!res.headersSent)
      sendError(answer, requestId, 'UPSTREAM_ERROR', `service ${route.name} did not take the upgrade`);
    else socket.destroy();
  });
  out.end();
}
