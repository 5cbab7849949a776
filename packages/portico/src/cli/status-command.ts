import type { ProcessStatus } from '../admin/status-route.js';
import { STATUS_PATH } from '../admin/status-route.js';

const STATUS_USAGE = `Usage: portico status [--url <admin URL>] [--json]

Asks one Portico process, at its admin URL (--url, else PORTICO_ADMIN_URL, else
http://127.0.0.1:9080), how it sees the cluster. PORTICO_ADMIN_TOKEN, when set, is sent
as "Authorization: Bearer", for an admin port behind an authenticating proxy.`;

/**
 * `portico status`: prints a process's role, version, uptime, readiness, registry connection
 * (connected, degraded, or routing from its last-known-good file) and revision, what it routes,
 * and its bus and realtime hub. Exit code 0 when the process answered, 1 when it did not.
 *
 * @example
 * ```sh
 * PORTICO_ADMIN_URL=http://10.0.0.5:9080 portico status
 * portico status --url http://127.0.0.1:9081 --json
 * ```
 */
export async function statusCommand(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let url = env.PORTICO_ADMIN_URL || 'http://127.0.0.1:9080';
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--json') json = true;
    else if (arg === '--url' && args[i + 1] !== undefined) url = args[++i] as string;
    else if (arg?.startsWith('--url=')) url = arg.slice('--url='.length);
    else {
      process.stderr.write(`portico: unknown argument "${arg}"\n\n${STATUS_USAGE}\n`);
      return 1;
    }
  }
  let status: ProcessStatus;
  try {
    const token = env.PORTICO_ADMIN_TOKEN;
    const response = await fetch(new URL(STATUS_PATH, url), {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(5_000),
    });
    const body = (await response.json()) as { success?: boolean; data?: ProcessStatus; error?: { message?: string } };
    if (!response.ok || body.success !== true || body.data === undefined) {
      process.stderr.write(`portico: ${url} answered ${response.status}: ${body.error?.message ?? 'no status'}\n`);
      return 1;
    }
    status = body.data;
  } catch (error) {
    process.stderr.write(`portico: no status from ${url}: ${(error as Error).message}\n`);
    return 1;
  }
  process.stdout.write(json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(url, status));
  return 0;
}

/** The status as lines for a terminal. */
export function formatStatus(url: string, s: ProcessStatus): string {
  const notes = Object.entries(s.readiness).map(([name, note]) => `${name}: ${note}`);
  const deps = Object.entries(s.dependencies).map(([name, state]) => `${name} ${state}`);
  const r = s.registry;
  const lines = [
    `portico ${s.version} at ${url}: role ${s.role}, pid ${s.pid}, up ${duration(s.uptimeSeconds)}`,
    `ready       ${s.ready ? 'yes' : 'no'}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`,
    `health      ${s.health}${deps.length > 0 ? ` (${deps.join(', ')})` : ''}`,
    `registry    ${r.at}: ${r.state}, revision ${r.revision}${r.epoch ? ` of epoch ${r.epoch}` : ''}`,
  ];
  if (r.follow) {
    lines.push(
      `            routes from ${r.follow.source}; ${r.follow.snapshots} snapshots, ${r.follow.changes} changes received`,
    );
    const file = r.follow.lastKnownGood;
    if (file) {
      const loaded = file.loaded ? `started from revision ${file.loaded.revision} (saved ${file.loaded.savedAt})` : '';
      const refused = file.refused ? `refused at start: ${file.refused}` : '';
      const written = file.lastWriteAt ? `last written ${file.lastWriteAt}` : 'not written yet';
      lines.push(`            last-known-good ${file.path}: ${[loaded, refused, written].filter(Boolean).join('; ')}`);
    }
  }
  lines.push(`services    ${r.services} services, ${r.instances} instances`);
  if (s.gateway) {
    lines.push(
      `gateway     routes ${s.gateway.services} services, ${s.gateway.instances} instances (${s.gateway.staleInstances} kept from before a registry restart)`,
    );
  }
  if (s.bus) lines.push(`bus         ${s.bus.adapter}: ${s.bus.status}`);
  if (s.realtime) {
    const rt = s.realtime;
    lines.push(
      `realtime    ${rt.enabled ? 'enabled' : 'disabled'}, ${rt.connections} connections, ${rt.channels} channels, ${rt.delivered} delivered`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function duration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
