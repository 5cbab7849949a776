#!/usr/bin/env node
/**
 * Identity figures: login latency at the configured argon2id parameters, and how many access
 * tokens one core verifies per second (the gateway's local check). In process, on an embedded
 * in-memory store; not part of `npm test`.
 *
 *   npm run build && node bench/identity.mjs [--logins 40] [--seconds 3]
 */
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { logins: { type: 'string', default: '40' }, seconds: { type: 'string', default: '3' } },
});
const logins = Number(values.logins);
const seconds = Number(values.seconds);

const { openStore } = await import('../packages/portico/dist/store/index.js');
const { Identity } = await import('../packages/portico/dist/identity/identity.js');
const { AuthFlows } = await import('../packages/portico/dist/identity/auth-flows.js');
const { DEFAULT_IDENTITY_OPTIONS } = await import('../packages/portico/dist/identity/options.js');

const store = await openStore({ url: 'memory:', dataDir: '', poolSize: 1 });
const password = 'bench-admin-password';
const options = {
  ...DEFAULT_IDENTITY_OPTIONS,
  adminPassword: password,
  throttle: { ...DEFAULT_IDENTITY_OPTIONS.throttle, maxFailuresPerIdentifier: 1e6, maxFailuresPerIp: 1e6 },
};
const { identity } = await Identity.open(store, options);
const flows = new AuthFlows(identity);
const caller = { ip: '127.0.0.1' };

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
async function time(label, fn, count) {
  await fn(); // warm-up
  const samples = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const inner = await fn();
    // A step that prepares its own input returns the time of the part being measured.
    samples.push(typeof inner === 'number' ? inner : performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  console.log(
    `${label.padEnd(34)} n=${count}  p50 ${percentile(samples, 50).toFixed(1)} ms  p95 ${percentile(samples, 95).toFixed(1)} ms  mean ${mean.toFixed(1)} ms`,
  );
}

const { argon2 } = options;
console.log(
  `argon2id m=${argon2.memoryKiB} KiB t=${argon2.iterations} p=${argon2.parallelism}; node ${process.version}; ${store.kind} store`,
);
await time(
  'login (right password)',
  () => flows.login({ tenant: 'platform', username: 'admin', password }, caller),
  logins,
);
await time(
  'login (wrong password)',
  () => flows.login({ tenant: 'platform', username: 'admin', password: 'wrong' }, caller).catch(() => {}),
  logins,
);
await time(
  'login (unknown user)',
  () => flows.login({ tenant: 'platform', username: 'ghost', password: 'wrong' }, caller).catch(() => {}),
  logins,
);
await time(
  'refresh (rotation)',
  async () => {
    const pair = await flows.login({ tenant: 'platform', username: 'admin', password }, caller);
    const started = performance.now();
    await flows.refresh(pair.refreshToken, caller);
    return performance.now() - started;
  },
  Math.min(logins, 10),
);

// Distinct tokens, verifier cache off: the cost of a signature check (a token seen for the first time).
const tokens = [];
for (let i = 0; i < 200; i++)
  tokens.push(
    (
      await identity.issuer.issue({
        kind: 'user',
        subject: `u${i}`,
        tenant: 'platform',
        roles: ['user'],
        permissions: [],
        scopes: [],
      })
    ).token,
  );
const { AccessTokenVerifier } = await import('../packages/portico/dist/identity/access-tokens.js');
const verifiers = {
  'first sight (signature check)': new AccessTokenVerifier({
    keys: () => identity.keyRing.jwks(),
    issuer: options.issuer,
    audience: options.audience,
    algorithms: [options.algorithm],
    cacheSize: 0,
  }),
  'repeat token (verifier cache)': identity.verifier,
};
for (const [label, verifier] of Object.entries(verifiers)) {
  for (const concurrency of [1, 16]) {
    let done = 0;
    const deadline = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async (_, lane) => {
        let i = lane;
        while (performance.now() < deadline) {
          await verifier.verify(tokens[i++ % tokens.length]);
          done++;
        }
      }),
    );
    console.log(
      `${`verify, ${label}, ${concurrency} in flight`.padEnd(52)} ${Math.round(done / seconds)} tokens/s (one core)`,
    );
  }
}

await identity.close();
await store.close();
