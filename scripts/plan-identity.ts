/**
 * `npm run plan-identity -- <env> [--public-key <host>=<file.pub> ...] [--proxy <file>]` : the
 * host-side pieces of the read-only plan identity (lib/github/plan-identity.ts). For each ssh://
 * host of the environment it prints the GitHub secret that holds the plan key, and, given the
 * public key, the authorized_keys line to add for the deploy user; `--proxy` writes the forced
 * command to install on the hosts (as /usr/local/libexec/stackyard-docker-readonly, mode 755).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { environmentFiles } from '../lib/environments';
import { ConfigError, formatProblem } from '../lib/config/errors';
import { loadEnvironment } from '../lib/config/load';
import { authorizedKeysLine, planKeySecret, PROXY_PATH, readOnlyDockerProxy, sshTarget } from '../lib/github/plan-identity';

function main(argv: string[]): number {
  const env = argv[0];
  const keys = new Map<string, string>();
  let proxy: string | undefined;
  for (let i = 1; i < argv.length; i++) {
    if (argv[i] === '--public-key') {
      const [host, file] = (argv[++i] ?? '').split('=');
      if (!host || !file) throw new Error('--public-key takes <host>=<file.pub>');
      keys.set(host, fs.readFileSync(file, 'utf8'));
    } else if (argv[i] === '--proxy') proxy = argv[++i];
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  const dir = process.env.ENVIRONMENTS_DIR ?? 'environments';
  const config = environmentFiles(dir).map((f) => loadEnvironment(f).config).find((c) => c.name === env);
  if (!config) throw new Error(`no environment named ${JSON.stringify(env)} in ${dir}/; usage: npm run plan-identity -- <env> [--public-key <host>=<file.pub>] [--proxy <file>]`);
  const hosts = Object.entries(config.hosts).filter(([, h]) => h.docker.startsWith('ssh://'));
  if (!hosts.length) process.stdout.write(`${env} has no ssh:// host: pull-request plans need no SSH key.\n`);
  for (const [name, h] of hosts) {
    const t = sshTarget(h.docker);
    for (const k of keys.keys()) if (!config.hosts[k]) throw new Error(`--public-key names host ${k}, which ${env} does not have`);
    process.stdout.write(`\nhost ${name} (${t.user ?? '<ssh user>'}@${t.host}:${t.port})\n`);
    process.stdout.write(`  GitHub secret of ${config.github?.environment ?? env}-plan: ${planKeySecret(name)} (the private key)\n`);
    const pub = keys.get(name);
    if (pub) {
      process.stdout.write(`  add to ~${t.user ?? ''}/.ssh/authorized_keys on ${t.host}:\n${authorizedKeysLine(pub, { comment: `stackyard-plan-${env}-${name}` })}\n`);
    } else {
      process.stdout.write(`  create it: ssh-keygen -t ed25519 -N '' -C stackyard-plan-${env}-${name} -f plan-${env}-${name}\n  then: npm run plan-identity -- ${env} --public-key ${name}=plan-${env}-${name}.pub\n`);
    }
  }
  if (proxy) {
    fs.mkdirSync(path.dirname(path.resolve(proxy)), { recursive: true });
    fs.writeFileSync(proxy, readOnlyDockerProxy(), { mode: 0o755 });
    process.stdout.write(`\nwrote ${proxy}: install it on each host as ${PROXY_PATH} (root-owned, mode 755)\n`);
  }
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  if (e instanceof ConfigError) for (const p of e.problems) process.stderr.write(`${formatProblem(p)}\n`);
  else process.stderr.write(`plan-identity: ${(e as Error).message}\n`);
  process.exitCode = 1;
}
