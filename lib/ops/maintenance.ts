/**
 * `stackyard maintenance <env> on|off [--message ...]`: every routed service answers 503 with a
 * plain page, and no container is stopped.
 *
 * `on` starts one small container, `<env>-maintenance`, on the proxy's host and network. It
 * carries the environment's label (the proxy only sees those) and Traefik labels: for every route
 * of every routed service a router with the same rule and entrypoints (and TLS resolver) at
 * priority MAINTENANCE_PRIORITY, far above the rule-length priority Traefik gives the service's
 * own router, plus a plain-HTTP catch-all `PathPrefix(/)` one below it for routes added later.
 * Each router rewrites the path to the page's CGI, which answers `503 Service Unavailable` with
 * `Retry-After` and the page (busybox httpd; the message reaches it as an environment variable,
 * HTML-escaped). `off` removes the container; Traefik then routes to the services again.
 *
 * It survives a deploy: the orphan reaper leaves containers labelled `stackyard.maintenance`
 * alone, and a replaced proxy reads the labels again. `down` removes the proxy network, which
 * Docker refuses while the page is attached to it: turn maintenance off first.
 */
import type { Environment } from '../environment';
import { CliError } from '../cli/exit-codes';
import { ENV_LABEL } from '../docker/render';
import { withHosts } from './docker';

/** Above any rule-length priority Traefik computes, below its internal routers (MaxInt32 - 1000). */
export const MAINTENANCE_PRIORITY = 1_000_000_000;
/** The page's image: anything with busybox (sh, httpd, cat) at /bin/busybox. */
export const MAINTENANCE_IMAGE = 'busybox:1.37';
export const MAINTENANCE_LABEL = 'stackyard.maintenance';
export const DEFAULT_MESSAGE = 'This service is down for maintenance. Please try again shortly.';
const PORT = 8080;

export function maintenanceContainer(env: string): string {
  return `${env}-maintenance`;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** The plain page: the message (escaped), nothing loaded from elsewhere. */
export function maintenancePage(message: string): string {
  const text = escapeHtml(message);
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>Down for maintenance</title>',
    '<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:15vh auto;padding:0 1rem;color:#222}h1{font-size:1.5rem}</style>',
    '</head><body>',
    '<h1>Down for maintenance</h1>',
    `<p>${text.replace(/\n/g, '<br>')}</p>`,
    '</body></html>',
    '',
  ].join('\n');
}

/**
 * The container's program: writes the page from $STACKYARD_MAINTENANCE_PAGE and a CGI that answers
 * 503 with it, then serves on PORT. Constant text: nothing the user typed is part of it.
 */
export const MAINTENANCE_SCRIPT = [
  'set -e',
  'mkdir -p /tmp/m/cgi-bin',
  'printf "%s" "$STACKYARD_MAINTENANCE_PAGE" > /tmp/m/page.html',
  "cat > /tmp/m/cgi-bin/maintenance <<'CGI'",
  '#!/bin/busybox sh',
  "printf 'HTTP/1.0 503 Service Unavailable\\r\\nContent-Type: text/html; charset=utf-8\\r\\nRetry-After: 300\\r\\nCache-Control: no-store\\r\\n\\r\\n'",
  'exec /bin/busybox cat /tmp/m/page.html',
  'CGI',
  'chmod 755 /tmp/m/cgi-bin/maintenance',
  `exec /bin/busybox httpd -f -p ${PORT} -h /tmp/m`,
  '',
].join('\n');

/** The environment's proxy, beside which the page runs; an environment without one has nothing routed to put a page in front of. */
function proxyOf(stack: Environment): NonNullable<Environment['proxy']> {
  if (!stack.proxy) throw new CliError(`${stack.environmentName} has no proxy (a service of kind: traefik), so nothing is routed; there is no page to put up or take down`);
  return stack.proxy;
}

/** The Traefik labels of the maintenance container: one router per route of the environment, and a catch-all. */
export function maintenanceLabels(stack: Environment): Record<string, string> {
  const env = stack.environmentName;
  const proxy = proxyOf(stack);
  const id = `${env}-maintenance`;
  const labels: Record<string, string> = {
    [ENV_LABEL]: env,
    [MAINTENANCE_LABEL]: 'on',
    'stackyard.host': proxy.service.host,
    'traefik.enable': 'true',
    'traefik.docker.network': `${env}-proxy`,
    [`traefik.http.services.${id}.loadbalancer.server.port`]: String(PORT),
    [`traefik.http.middlewares.${id}.replacepath.path`]: '/cgi-bin/maintenance',
  };
  const router = (name: string, rule: string, entrypoints: readonly string[], priority: number, tls: boolean) => {
    const r = `traefik.http.routers.${name}`;
    labels[`${r}.rule`] = rule;
    labels[`${r}.entrypoints`] = entrypoints.join(',');
    labels[`${r}.priority`] = String(priority);
    labels[`${r}.service`] = id;
    labels[`${r}.middlewares`] = id;
    if (tls && proxy.certResolver) labels[`${r}.tls.certresolver`] = proxy.certResolver;
  };
  const services = [...stack.services].sort((a, b) => a.serviceName.localeCompare(b.serviceName));
  for (const s of services) {
    s.routes.forEach((route, i) => {
      router(`${id}-${s.serviceName}${i === 0 ? '' : `-${i + 1}`}`, route.rule, route.entrypoints ?? proxy.entrypoints, MAINTENANCE_PRIORITY, true);
    });
  }
  router(`${id}-all`, 'PathPrefix(`/`)', proxy.entrypoints, MAINTENANCE_PRIORITY - 1, false);
  return labels;
}

export function maintenanceCreateArgs(stack: Environment, message: string, image: string): string[] {
  const env = stack.environmentName;
  const labels = maintenanceLabels(stack);
  return [
    'run', '--detach', '--name', maintenanceContainer(env), '--hostname', maintenanceContainer(env),
    '--restart', 'unless-stopped', '--network', `${env}-proxy`,
    '--log-driver', 'json-file', '--log-opt', 'max-size=1m', '--log-opt', 'max-file=1',
    ...Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
    '--env', `STACKYARD_MAINTENANCE_PAGE=${maintenancePage(message)}`,
    '--entrypoint', '/bin/busybox',
    image, 'sh', '-c', MAINTENANCE_SCRIPT,
  ];
}

export async function runMaintenance(stack: Environment, mode: string, o: { message?: string; image?: string }, say: (l: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  if (mode !== 'on' && mode !== 'off') throw new CliError(`expected on or off, got ${JSON.stringify(mode)}`, 2);
  const env = stack.environmentName;
  const host = stack.hosts.get(proxyOf(stack).service.host)!;
  const name = maintenanceContainer(env);
  return withHosts([host], async (conns) => {
    const conn = conns.get(host.name)!;
    const existing = await conn.run(['ps', '-aq', '--filter', `name=^/${name}$`, '--filter', `label=${MAINTENANCE_LABEL}`]);
    if (existing.code !== 0) throw new CliError(`host ${host.name} (${host.docker}) did not answer: ${existing.stderr.trim()}`);
    const was = existing.stdout.trim() !== '';
    if (was) {
      const rm = await conn.run(['rm', '--force', name]);
      if (rm.code !== 0) throw new CliError(`could not remove ${name} on ${host.name}: ${rm.stderr.trim()}`);
    }
    if (mode === 'off') {
      say(was ? `maintenance off for ${env}: ${name} removed on ${host.name}; the services answer again` : `maintenance was not on for ${env}; nothing to do`);
      return 0;
    }
    const r = await conn.run(maintenanceCreateArgs(stack, o.message ?? DEFAULT_MESSAGE, o.image ?? MAINTENANCE_IMAGE));
    if (r.code !== 0) {
      const missing = /No such image|pull access denied|not found/i.test(r.stderr) ? ` (the page needs the image ${o.image ?? MAINTENANCE_IMAGE} on ${host.name}, or --image with busybox at /bin/busybox)` : '';
      throw new CliError(`could not start ${name} on ${host.name}: ${r.stderr.trim()}${missing}`);
    }
    const routes = stack.services.reduce((n, s) => n + s.routes.length, 0);
    say(`maintenance on for ${env}: ${name} on ${host.name} answers 503 for ${routes} route(s) and everything else on the proxy${was ? ' (message replaced)' : ''}; containers keep running. stackyard maintenance ${env} off ends it.`);
    return 0;
  });
}
