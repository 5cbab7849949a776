import { ok, PorticoError, serve } from '@portico/sdk';

/**
 * The hello service: answers `GET /hello/{name}` (and `/`) with a greeting that names the
 * instance, so a caller can see the gateway spread requests across instances.
 * Run it with `PORTICO_REGISTRY_URL` pointing at Portico's admin port.
 */
const instanceName = process.env.HELLO_INSTANCE ?? `hello-${process.pid}`;

const service = await serve({
  service: 'hello',
  version: '1.0.0',
  auth: 'public',
  id: process.env.HELLO_INSTANCE,
  // In a container: listen on every interface and register the name other containers reach it by.
  host: process.env.HELLO_HOST,
  advertiseHost: process.env.HELLO_ADVERTISE_HOST,
  heartbeatSeconds: Number(process.env.HELLO_HEARTBEAT_SECONDS ?? 10),
  handler: (req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new PorticoError('METHOD_NOT_ALLOWED', 'hello only answers GET');
    }
    const name = url.pathname === '/' ? 'world' : decodeURIComponent(url.pathname.slice(1).split('/').pop() ?? '');
    const body = JSON.stringify(
      ok(
        { message: `hello, ${name}`, instance: instanceName, path: url.pathname },
        String(req.headers['x-request-id'] ?? ''),
      ),
    );
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(body);
  },
});
await service.registered;
console.log(`hello instance ${instanceName} listening on ${service.url}, registered as ${service.instanceId}`);
