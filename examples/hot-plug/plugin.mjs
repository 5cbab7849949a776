// A hot-plug plugin (seed 004): a service built on the SDK that registers with Portico when it
// starts (so the gateway routes /api/{name}/* to it and the console lists it) and deregisters on
// SIGTERM (its route is gone, nothing restarts). It serves every tenant that enabled it and reads
// each tenant's config from the config center, live: a change in the console or the API changes
// its answers on the next request.
//
// Environment: PORTICO_REGISTRY_URL (Portico's admin URL), PLUGIN_NAME (default `greeter`),
// CONFIG_KEY (an API key of the platform tenant with `config.read`), TENANTS (comma-separated).
import { callerOf, createConfigCenter, ok, serve } from '@portico/sdk';

const name = process.env.PLUGIN_NAME ?? 'greeter';
const tenants = (process.env.TENANTS ?? 'acme,globex').split(',').filter(Boolean);
const config = createConfigCenter({
  service: name,
  url: process.env.PORTICO_REGISTRY_URL,
  credential: { apiKey: process.env.CONFIG_KEY ?? '' },
  reconnectMinMs: 100,
  reconnectMaxMs: 1_000,
});

/** Each tenant's entry as last pushed by the config center. */
const current = new Map();
const watches = tenants.map((tenant) =>
  config.watch(tenant, (entry) => {
    current.set(tenant, entry);
    console.log(`config ${tenant} revision ${entry.revision} ${JSON.stringify(entry.values)}`);
  }),
);
await Promise.all(watches.map((watch) => watch.ready));

const service = await serve({
  service: name,
  auth: 'public',
  heartbeatSeconds: 5,
  logger: { info: () => {}, warn: (m) => console.error(m), error: (m) => console.error(m) },
  handler(req, res) {
    const url = new URL(req.url ?? '/', 'http://plugin');
    // A signed-in caller's tenant (the gateway's verified assertion), else `?tenant=` for the
    // anonymous calls of this demo (the gateway does not pass a client's x-tenant-id through).
    const tenant = callerOf(req)?.tenant ?? url.searchParams.get('tenant') ?? '';
    res.setHeader('content-type', 'application/json');
    const entry = current.get(tenant);
    if (!entry) {
      res.writeHead(404);
      res.end(
        JSON.stringify({
          success: false,
          error: { code: 'NOT_FOUND', message: `${name} does not serve tenant "${tenant}"` },
        }),
      );
      return;
    }
    // What the tenant configured, with the plugin's defaults for what it did not.
    const greeting = entry.values.greeting ?? 'Hello';
    const shout = entry.values.shout === true;
    const who = url.searchParams.get('name') ?? 'world';
    const text = `${greeting}, ${who}!`;
    res.end(
      JSON.stringify(
        ok(
          { plugin: name, tenant, revision: entry.revision, message: shout ? text.toUpperCase() : text },
          String(req.headers['x-request-id'] ?? ''),
        ),
      ),
    );
  },
});
await service.registered;
console.log(`ready ${service.url} ${service.instanceId}`);
process.on('SIGTERM', () => config.close());
