/**
 * The deployment files, checked with what runs without a Docker daemon or a cluster:
 * `kubectl kustomize` renders each overlay, and every object is validated against the Kubernetes
 * schemas shipped by `kubernetes-models` (types, required fields, enums) and type-checked against
 * its TypeScript types (which, unlike the schemas, refuse an unknown or misspelt field). The
 * compose file is validated against the Compose Specification's JSON schema (as shipped by
 * `dclint`). Then what they say is checked against Portico itself: every `PORTICO_*` variable
 * exists, every container's configuration loads, probes and drain timings agree with Portico's.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../packages/portico/src/config/load.js';
import { ENV_OVERRIDES } from '../packages/portico/src/config/schema.js';
import { ROOT } from './support/processes.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const K8S = join(ROOT, 'deploy/kubernetes');
const COMPOSE = join(ROOT, 'deploy/compose');
/** Variables a container may set that are not config overrides: the config file, and the SDK's. */
const OTHER_VARIABLES = new Set(['PORTICO_CONFIG', 'PORTICO_REGISTRY_URL', 'PORTICO_REGISTRATION_KEY']);
/** Portico's drain on SIGTERM (`shutdownGraceMs`), which a pod's grace period must cover. */
const PORTICO_ROLES = new Set(['gateway', 'registry', 'identity']);

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are arbitrary YAML.
type Manifest = any;

async function kustomize(dir: string): Promise<Manifest[]> {
  const { stdout } = await run('kubectl', ['kustomize', join(K8S, dir)], { maxBuffer: 16 * 1024 * 1024 });
  return parseAllDocuments(stdout).map((doc) => doc.toJS());
}

/** Validates one object with the model of its apiVersion and kind; an unknown kind fails the import. */
async function schemaProblem(manifest: Manifest): Promise<string | undefined> {
  const module = await import(/* @vite-ignore */ `kubernetes-models/${manifest.apiVersion}/${manifest.kind}`);
  const Model = module[manifest.kind];
  // kustomize wraps long base64 values over lines; the API server's decoder skips the newlines,
  // the schema's `byte` format does not.
  const data = manifest.kind === 'Secret' ? { data: unwrapped(manifest.data) } : {};
  try {
    new Model({ ...manifest, ...data }).validate();
    return undefined;
  } catch (error) {
    return `${manifest.kind}/${manifest.metadata?.name}: ${(error as Error).message}`;
  }
}

function unwrapped(data: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, value.replace(/\s+/g, '')]));
}

/**
 * Type-checks the objects as literals of kubernetes-models' interfaces (`IDeployment`, ...), in
 * memory: an excess property (a misspelt field) is a type error there.
 */
function typeProblems(manifests: Manifest[]): string[] {
  const path = join(ROOT, 'test', '__rendered-manifests__.ts');
  const lines = manifests.map((m, i) => {
    const from = `kubernetes-models/${m.apiVersion}/${m.kind}`;
    return `import type { I${m.kind} as T${i} } from '${from}';\nexport const m${i}: T${i} = ${JSON.stringify(m)};`;
  });
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) =>
    name === path ? ts.createSourceFile(name, source, version) : getSourceFile(name, version, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === path || fileExists(name);
  const program = ts.createProgram([path], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n').slice(0, 3).join(' / '));
}

const deployments = (manifests: Manifest[]) => manifests.filter((m) => m.kind === 'Deployment');
const porticoContainers = (manifests: Manifest[]) =>
  deployments(manifests)
    .filter((d) => PORTICO_ROLES.has(d.metadata.labels?.['app.kubernetes.io/component']))
    .map((d) => ({ deployment: d, container: d.spec.template.spec.containers[0] }));
/** A container's variables with a literal value (those from a Secret are only named). */
const envOf = (container: Manifest): Record<string, string> =>
  Object.fromEntries(
    (container.env ?? []).filter((e: Manifest) => e.value !== undefined).map((e: Manifest) => [e.name, e.value]),
  );
const envNames = (container: Manifest): string[] => (container.env ?? []).map((e: Manifest) => e.name);

describe('Kubernetes manifests (kubectl kustomize + kubernetes-models)', () => {
  it.each(['dev', 'production'])(
    'overlay %s renders, and every object is valid against the schemas',
    async (overlay) => {
      const manifests = await kustomize(`overlays/${overlay}`);
      const kinds = manifests.map((m) => `${m.kind}/${m.metadata.name.replace(/-[a-z0-9]{10}$/, '')}`);
      for (const part of ['gateway', 'registry', 'identity']) {
        expect(kinds).toContain(`Deployment/portico-${part}`);
        expect(kinds).toContain(`Service/portico-${part}`);
        expect(kinds).toContain(`PodDisruptionBudget/portico-${part}`);
      }
      expect(kinds).toContain('ConfigMap/portico-config');
      const problems = (await Promise.all(manifests.map(schemaProblem))).filter(Boolean);
      expect(problems).toEqual([]);
      expect(typeProblems(manifests)).toEqual([]);
    },
  );

  it('the checks refuse a wrong type and a misspelt field', async () => {
    const [deployment] = deployments(await kustomize('overlays/dev'));
    expect(await schemaProblem({ ...deployment, spec: { ...deployment.spec, replicas: 'two' } })).toMatch(
      /replicas must be integer/,
    );
    const container = { ...deployment.spec.template.spec.containers[0], readinesProbe: {} };
    const misspelt = {
      ...deployment,
      spec: { ...deployment.spec, template: { ...deployment.spec.template, spec: { containers: [container] } } },
    };
    expect(typeProblems([misspelt]).join('\n')).toMatch(/readinesProbe/);
  }, 60_000);

  it.each(['dev', 'production'])(
    'overlay %s: probes, drain, resources, disruption budgets and settings agree with Portico',
    async (overlay) => {
      const manifests = await kustomize(`overlays/${overlay}`);
      const configMap = manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name.startsWith('portico-config'));
      const file = join(K8S, overlay === 'dev' ? 'base' : 'overlays/production', 'portico.yaml');
      expect(parse(readFileSync(file, 'utf8'))).toEqual(parse(configMap.data['portico.yaml']));
      const containers = porticoContainers(manifests);
      expect(containers.map((c) => c.container.name).sort()).toEqual(['gateway', 'identity', 'registry']);
      for (const { deployment, container } of containers) {
        const pod = deployment.spec.template.spec;
        const ports = Object.fromEntries(container.ports.map((p: Manifest) => [p.name, p.containerPort]));
        expect(container.readinessProbe.httpGet.path).toBe('/readyz');
        expect(container.livenessProbe.httpGet.path).toBe('/livez');
        expect(ports[container.readinessProbe.httpGet.port]).toBeDefined();
        // The sleep before SIGTERM, then Portico's drain: the grace period must hold both.
        const [sleep, seconds] = container.lifecycle.preStop.exec.command;
        expect(sleep).toBe('sleep');
        const env = envOf(container);
        const drainSeconds = Number(env.PORTICO_SHUTDOWN_GRACE_MS ?? 10_000) / 1000;
        expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(Number(seconds) + drainSeconds);
        expect(container.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
        expect(container.resources.limits).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
        expect(pod.securityContext.runAsNonRoot).toBe(true);
        // Every variable is one Portico reads, and the configuration each container gets loads.
        const unknown = envNames(container).filter((name) => !(name in ENV_OVERRIDES) && !OTHER_VARIABLES.has(name));
        expect(unknown).toEqual([]);
        const config = loadConfig({ file, env: { ...env, PORTICO_CONFIG: '', PORTICO_STORE_KEYS: '' } });
        expect(config.registry.auth).toBe('required');
        // The admin port leaves the pod only where something outside must reach it.
        expect(config.adminHost).toBe(container.name === 'gateway' ? '127.0.0.1' : '0.0.0.0');
        const budget = manifests.find(
          (m) => m.kind === 'PodDisruptionBudget' && m.metadata.name === deployment.metadata.name,
        );
        expect(budget.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
      }
      // Every Service selects some Deployment's pods, and every Secret or ConfigMap a pod names is there
      // (production's Secret is created out of band, so it is only named).
      for (const service of manifests.filter((m) => m.kind === 'Service')) {
        const selected = deployments(manifests).filter((d) =>
          Object.entries(service.spec.selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v),
        );
        expect(selected.length, service.metadata.name).toBeGreaterThan(0);
      }
      const names = new Set(manifests.map((m) => `${m.kind}/${m.metadata.name}`));
      const text = JSON.stringify(deployments(manifests));
      for (const [, name] of text.matchAll(/"secretKeyRef":\{"name":"([^"]+)"/g)) {
        expect(overlay === 'production' ? name === 'portico-secrets' : names.has(`Secret/${name}`)).toBe(true);
      }
      for (const [, name] of text.matchAll(/"configMap":\{"name":"([^"]+)"/g)) {
        expect(names.has(`ConfigMap/${name}`)).toBe(true);
      }
    },
  );
});

describe('compose file (Compose Specification schema)', () => {
  const schemaFile = join(require.resolve('dclint/package.json'), '..', 'schemas/compose.schema.json');
  // The file's `$schema` names draft-07 by an URL ajv does not know; ajv's default is draft-07.
  const { $schema: _draft, ...schema } = JSON.parse(readFileSync(schemaFile, 'utf8'));
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  const compose = parse(readFileSync(join(COMPOSE, 'compose.yaml'), 'utf8'), { merge: true });

  it('is valid, and the schema refuses what compose would', () => {
    expect(validate.errors ?? [], JSON.stringify(validate.errors)).toEqual([]);
    expect(validate(compose), JSON.stringify(validate.errors)).toBe(true);
    const broken = structuredClone(compose);
    broken.services.redis.helthcheck = broken.services.redis.healthcheck;
    expect(validate(broken)).toBe(false);
    expect(JSON.stringify(validate.errors)).toMatch(/additional properties/);
  });

  it('runs the engines, 2 registries, 2 gateways, identity and the example service, each loading its configuration', () => {
    const services = compose.services as Record<string, Manifest>;
    expect(Object.keys(services).sort()).toEqual(
      [
        'gateway-1',
        'gateway-2',
        'hello-1',
        'hello-2',
        'identity',
        'nats',
        'postgres',
        'redis',
        'registry-1',
        'registry-2',
      ].sort(),
    );
    expect(services.nats.command).toContain('-js');
    const roles: Record<string, string> = {};
    for (const [name, service] of Object.entries(services)) {
      if (service.image !== 'portico:local' || name.startsWith('hello')) continue;
      const env = service.environment as Record<string, string>;
      const unknown = Object.keys(env).filter((v) => !(v in ENV_OVERRIDES) && !OTHER_VARIABLES.has(v));
      expect(unknown, name).toEqual([]);
      const config = loadConfig({ file: join(COMPOSE, 'portico.yaml'), env: { ...env, PORTICO_CONFIG: '' } });
      expect(config.bus.adapter).toBe('nats');
      roles[name] = service.command.join(' ');
      if (name.startsWith('gateway')) {
        expect(config.gateway.rateLimit.redisUrl).toBe('redis://redis:6379');
        expect(config.gateway.fallbackStore.store).toBe('redis');
      }
      if (name.startsWith('registry')) {
        // Shared state, and keys required: either registry may die, and no one registers unasked.
        expect(config.registry.store).toBe('nats');
        expect(config.registry.auth).toBe('required');
      }
    }
    expect(roles).toEqual({
      identity: 'start',
      'registry-1': 'start registry',
      'registry-2': 'start registry',
      'gateway-1': 'start gateway',
      'gateway-2': 'start gateway',
    });
    // The example service registers with a key whose hash the registries hold.
    const key = services['hello-1'].environment.PORTICO_REGISTRATION_KEY;
    const { createHash } = require('node:crypto') as typeof import('node:crypto');
    const config = loadConfig({ file: join(COMPOSE, 'portico.yaml'), env: {} });
    expect(config.registry.keys.hello).toContain(`sha256:${createHash('sha256').update(key).digest('hex')}`);
  });
});
