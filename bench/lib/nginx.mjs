// nginx in its two roles: the upstream answering a fixed body, and the reverse-proxy contender.
// Each runs from its own generated config in bench/.work, never the system's /etc/nginx.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess } from './processes.mjs';

/**
 * One process (`master_process off`) with one event loop: the single worker the issue asks
 * for, and a single PID whose RSS and CPU are the whole proxy's.
 * keepalive_requests is raised because nginx otherwise closes a connection after 1000
 * requests, and the reconnects would be measured as proxy cost.
 */
function config(dir, server) {
  const temp = (kind) => `${kind}_temp_path ${join(dir, `${kind}-temp`)};`;
  return `worker_processes 1;
master_process off;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
worker_rlimit_nofile 16384;
events { worker_connections 8192; multi_accept on; }
http {
  access_log off;
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  keepalive_requests 10000000;
  keepalive_timeout 300s;
${server}
}
`;
}

/** nginx answering every request with 200 and `body`, the bench's upstream candidate. */
export function startNginxUpstream({ workDir, port, body, core }) {
  const dir = join(workDir, 'nginx-upstream');
  const server = `  server {
    listen 127.0.0.1:${port} reuseport backlog=4096;
    location / { default_type text/plain; return 200 '${body}'; }
  }`;
  return start('nginx upstream', dir, config(dir, server), core);
}

/** nginx as the reverse-proxy contender: /api/bench/... → upstream /..., keep-alive both sides. */
export function startNginxProxy({ workDir, port, upstreamPort, core }) {
  const dir = join(workDir, 'nginx-proxy');
  const server = `  upstream bench {
    server 127.0.0.1:${upstreamPort};
    keepalive 256;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
  }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location /api/bench/ {
      proxy_pass http://bench/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering on;
    }
  }`;
  return start('nginx proxy', dir, config(dir, server), core);
}

function start(name, dir, text, core) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, text);
  // -e: nginx opens its default error log before reading the config; point it at our dir.
  return startProcess(name, 'nginx', ['-p', `${dir}/`, '-c', file, '-e', join(dir, 'error.log')], { core });
}
