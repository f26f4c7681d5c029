/** Bad environment files and what each must print: shared by the tests and `npm run` demos. */
import { MINIMAL } from './helpers';

const replace = (from: string, to: string) => MINIMAL.replace(from, to);

/** An alias bomb: ten levels of ten aliases, 10^10 strings once expanded, a few hundred bytes as text. */
const ALIAS_BOMB = (() => {
  const node = (i: number): string => i === 0 ? '&a0 [x, x, x, x, x, x, x, x, x, x]' : `&a${i} [${node(i - 1)}, ${Array(9).fill(`*a${i - 1}`).join(', ')}]`;
  return `partial: true\nservices:\n  api:\n    command: ${node(9)}\n`;
})();

export interface BadCase {
  readonly name: string;
  readonly files: Record<string, string>;
  /** Every line the synth must print, in order. */
  readonly expected: string[];
  readonly main?: string[];
}

export const BAD_CASES: BadCase[] = [
  { name: 'YAML syntax error', files: { 'env.yaml': 'name: test\nhosts: [unclosed\n' }, expected: [
      "env.yaml:3:1 YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ] },
  { name: 'duplicate key', files: { 'env.yaml': replace('  db: { kind', '  api: { kind: redis, password: DB_PASSWORD }\n  db: { kind') }, expected: [
      "env.yaml:9:3 duplicate key; each key may appear once in a mapping, remove or rename one of them",
    ] },
  { name: 'empty file', files: { 'env.yaml': '' }, expected: [
      "env.yaml:1:1 file is empty; an environment file needs at least `name:` and `services:`",
    ] },
  { name: 'comment-only file', files: { 'env.yaml': '# nothing yet\n' }, expected: [
      "env.yaml:1:1 file is empty; an environment file needs at least `name:` and `services:`",
    ] },
  { name: 'top level is a list', files: { 'env.yaml': '- name: test\n' }, expected: [
      "env.yaml:1:1 expected a mapping with `name:`, `hosts:` and `services:` at the top level",
    ] },
  { name: 'wrong type', files: { 'env.yaml': replace('    port: 8000', '    port: 8000\n    replicas: two') }, expected: [
      "env.yaml:13:5 services.api.replicas: expected a number, got \"two\"",
    ] },
  { name: 'unknown key with a suggestion', files: { 'env.yaml': replace('    port: 8000', '    port: 8000\n    replica: 2') }, expected: [
      "env.yaml:13:5 services.api.replica: unknown key; did you mean `replicas`?",
    ] },
  { name: 'unknown top-level key', files: { 'env.yaml': MINIMAL + 'volumes: {}\n' }, expected: [
      "env.yaml:17:1 volumes: unknown key; allowed here: extends, github, hosts, kubernetes, name, nfs, partial, platform, production, protectVolumes, registries, release, scheduler, secrets, services, state",
    ] },
  { name: 'missing required key', files: { 'env.yaml': replace('{ kind: postgres, password: DB_PASSWORD }', '{ kind: postgres }') }, expected: [
      "env.yaml:7:3 services.db.password: is required (expected a string)",
    ] },
  { name: 'missing name', files: { 'env.yaml': replace('name: test\n', '') }, expected: [
      "env.yaml:1:1 name: is required (expected a string)",
    ] },
  { name: 'bad docker host URL', files: { 'env.yaml': replace('unix:///var/run/docker.sock', 'docker.example.com:2375') }, expected: [
      "env.yaml:3:11 hosts.main.docker: expected unix:///path/docker.sock, ssh://user@host[:port] or tcp://host:port (got \"docker.example.com:2375\")",
    ] },
  { name: 'unknown kind', files: { 'env.yaml': replace('kind: postgres', 'kind: postgress') }, expected: [
      "env.yaml:7:9 services.db.kind: unknown kind \"postgress\"; did you mean `postgres`?",
    ] },
  { name: 'lower-case secret name', files: { 'env.yaml': replace('secrets: [DB_PASSWORD, JWT_SECRET]', 'secrets: [DB_PASSWORD, jwt_secret]') }, expected: [
      "env.yaml:4:24 secrets.1: a secret name is UPPER_SNAKE_CASE, e.g. DB_PASSWORD (got \"jwt_secret\")",
    ] },
  { name: 'zero replicas', files: { 'env.yaml': replace('    port: 8000', '    port: 8000\n    replicas: 0') }, expected: [
      "env.yaml:13:5 services.api.replicas: must be at least 1, got number 0",
    ] },
  { name: 'bad duration', files: { 'env.yaml': replace('    health: /health', '    healthcheck: { test: "true", interval: soon }') }, expected: [
      "env.yaml:13:34 services.api.healthcheck.interval: expected a duration such as 10s, 1m30s, 2h or 90d (got \"soon\")",
    ] },
  { name: 'singleton with two replicas', files: { 'env.yaml': MINIMAL + '  orchestrator: { kind: singleton, image: ghcr.io/acme/api, tag: "1.0", replicas: 2 }\n' }, expected: [
      "env.yaml:17:73 services.orchestrator.replicas: orchestrator is a singleton and must run exactly 1 replica, got 2; remove `replicas` or use kind: web",
    ] },
  { name: 'same host port twice', files: { 'env.yaml': replace('{ kind: postgres, password: DB_PASSWORD }', '{ kind: postgres, password: DB_PASSWORD, publish: 8001 }') }, expected: [
      "env.yaml:7:3 services.db.ports: publishes host port 8001 on host main, which proxy already publishes; choose another port",
    ] },
  { name: 'unknown host', files: { 'env.yaml': replace('{ kind: postgres, password', '{ kind: postgres, host: mian, password') }, expected: [
      "env.yaml:7:25 services.db.host: unknown host \"mian\"; did you mean \"main\"?",
    ] },
  { name: 'unknown service in uses', files: { 'env.yaml': replace('uses: [db]', 'uses: [db, redis]') }, expected: [
      "env.yaml:15:16 services.api.uses.1: unknown service \"redis\"; known: proxy, db, api",
    ] },
  { name: 'undeclared secret', files: { 'env.yaml': replace('secrets: [JWT_SECRET]', 'secrets: [JWT_SECRET, OPENAI_API_KEY]') }, expected: [
      "env.yaml:16:5 services.api.secrets: uses secret OPENAI_API_KEY, which is not declared; add it to the top-level `secrets:` list",
    ] },
  { name: 'dependency cycle', files: { 'env.yaml': MINIMAL + '  a: { kind: service, image: x/a, tag: "1", dependsOn: { b: started } }\n  b: { kind: service, image: x/b, tag: "1", dependsOn: { a: started } }\n' }, expected: [
      "env.yaml:17:3 services.a.uses: dependency cycle: a → b → a; break it by removing one of these uses/after entries",
    ] },
  { name: 'latest tag in production', files: { 'env.yaml': replace('name: test', 'name: test\nproduction: true').replace('tag: "1.0"', 'tag: latest').replace('{ kind: postgres, password: DB_PASSWORD }', '{ kind: postgres, tag: "17.6", password: DB_PASSWORD }').replace('entrypoints: { web: 8001 } }', 'entrypoints: { web: 8001 }, version: v3.6.12 }') }, expected: [
      "env.yaml:12:5 services.api.tag: image ghcr.io/acme/api:latest is not pinned; production needs a fixed tag (e.g. tag: \"sha-a1b2c3d\" or \"17.6\")",
    ] },
  { name: 'untagged image in production', files: { 'env.yaml': replace('name: test', 'name: test\nproduction: true').replace('    tag: "1.0"\n', '').replace('{ kind: postgres, password: DB_PASSWORD }', '{ kind: postgres, tag: "17.6", password: DB_PASSWORD }').replace('entrypoints: { web: 8001 } }', 'entrypoints: { web: 8001 }, version: v3.6.12 }') }, expected: [
      "env.yaml:11:5 services.api.image: image ghcr.io/acme/api is not pinned; production needs a fixed tag (e.g. tag: \"sha-a1b2c3d\" or \"17.6\")",
    ] },
  { name: 'healthy dependency without healthcheck', files: { 'env.yaml': MINIMAL + '  watcher: { kind: service, image: x/w, tag: "1" }\n  reporter: { kind: service, image: x/r, tag: "1", dependsOn: { watcher: healthy } }\n' }, expected: [
      "env.yaml:18:3 services.reporter.uses: waits for watcher to be healthy, but watcher has no healthcheck; give it `health:` or `healthcheck:`",
    ] },
  { name: 'after a service that is not a job', files: { 'env.yaml': MINIMAL + '  worker: { kind: service, image: x/w, tag: "1", after: [db] }\n' }, expected: [
      "env.yaml:17:50 services.worker.after: runs after db, which is not a one-shot job (kind: job) and never completes",
    ] },
  { name: 'extends a missing file', files: { 'env.yaml': 'extends: ./nope.yaml\n' + MINIMAL }, expected: [
      "env.yaml:1:1 extends: extends ./nope.yaml, which does not exist (looked for nope.yaml); fix the path relative to this file",
    ] },
  { name: 'extends itself', files: { 'env.yaml': 'extends: ./env.yaml\n' + MINIMAL }, expected: [
      "env.yaml:1:1 extends: extends itself through env.yaml → env.yaml; remove the cycle",
    ] },
  { name: 'extends cycle through two files', files: { 'env.yaml': 'extends: ./b.yaml\n' + MINIMAL, 'b.yaml': 'partial: true\nextends: ./env.yaml\n' }, expected: [
      "b.yaml:1:1 extends: extends itself through env.yaml → b.yaml → env.yaml; remove the cycle",
    ] },
  { name: 'secret value in env', files: { 'env.yaml': replace('    uses: [db]', '    uses: [db]\n    env: { STRIPE_API_KEY: sk_live_123 }') }, expected: [
      "env.yaml:16:12 services.api.env.STRIPE_API_KEY: looks like a secret value in plain YAML; declare STRIPE_API_KEY in the top-level `secrets:` list, list it in this service's `secrets:` and pass its value as TF_VAR_STRIPE_API_KEY at deploy time",
    ] },
  { name: 'the plan placeholder in a value or a key', files: { 'env.yaml': replace('    uses: [db]', '    uses: [db]\n    env: { API_URL: "https://x.example/#stackyard-plan-placeholder-A" }\n    command: [serve, --token-file=stackyard-plan-placeholder-C]\n    labels: { stackyard-plan-placeholder-B: x }') }, expected: [
      "env.yaml:16:12 services.api.env.API_URL: \"stackyard-plan-placeholder-\" is reserved: pull-request plans put it in place of every secret and compare a value holding it as unchanged, so a change here would not show in the plan comment or its data-loss check; remove it",
      "env.yaml:17:22 services.api.command.1: \"stackyard-plan-placeholder-\" is reserved: pull-request plans put it in place of every secret and compare a value holding it as unchanged, so a change here would not show in the plan comment or its data-loss check; remove it",
      "env.yaml:18:15 services.api.labels.stackyard-plan-placeholder-B: \"stackyard-plan-placeholder-\" is reserved: pull-request plans put it in place of every secret and compare a value holding it as unchanged, so a change here would not show in the plan comment or its data-loss check; remove it",
    ] },
  { name: 'declared secret given a value', files: { 'env.yaml': replace('    uses: [db]', '    uses: [db]\n    env: { JWT_SECRET: hunter2 }') }, expected: [
      "env.yaml:16:12 services.api.env.JWT_SECRET: JWT_SECRET is a declared secret; list it under `secrets:` of this service instead of giving a value here",
    ] },
  { name: 'adminer in production', files: { 'env.yaml': replace('name: test', 'name: test\nproduction: true').replace('{ kind: postgres, password: DB_PASSWORD }', '{ kind: postgres, tag: "17.6", password: DB_PASSWORD }').replace('entrypoints: { web: 8001 } }', 'entrypoints: { web: 8001 }, version: v3.6.12 }') + '  adminer: { kind: adminer, route: Host(`adminer.example.com`) }\n' }, expected: [
      "env.yaml:18:14 services.adminer.kind: Adminer is not allowed in a production environment; remove it or set production: false",
    ] },
  { name: 'route without a proxy', files: { 'env.yaml': replace('  proxy: { kind: traefik, entrypoints: { web: 8001 } }\n', '') }, expected: [
      "env.yaml:13:5 services.api.route: has a route but the environment has no proxy; add a service of kind: traefik",
    ] },
  { name: 'unknown proxy entrypoint', files: { 'env.yaml': replace('    route: PathPrefix(`/api`)', '    route: PathPrefix(`/api`)\n    entrypoints: [websecure]') }, expected: [
      "env.yaml:15:5 services.api.entrypoints: unknown proxy entrypoint \"websecure\"; the proxy has web",
    ] },
  { name: 'TLS challenge on an unknown entrypoint', files: { 'env.yaml': replace('entrypoints: { web: 8001 } }', 'entrypoints: { web: 8001, websecure: 8443 }, acme: { email: ops@example.com, entrypoint: tls } }') }, expected: [
      "env.yaml:6:104 services.proxy.acme.entrypoint: unknown entrypoint \"tls\"; known: web, websecure",
    ] },
  { name: 'Prometheus scraping an unknown service or one without a metrics port', files: { 'env.yaml': MINIMAL + '  prom: { kind: prometheus, scrape: [api, nope] }\n' }, expected: [
      "env.yaml:17:38 services.prom.scrape.0: api declares no `metrics` port to scrape; add `ports: { metrics: <port> }` to it (`metrics: true` on a worker pool) or remove it here",
      "env.yaml:17:43 services.prom.scrape.1: unknown service \"nope\"; known: proxy, db, api, prom",
    ] },
  { name: 'host needed with several hosts', files: { 'env.yaml': replace('hosts:\n', 'hosts:\n  workers: { docker: "ssh://deploy@w.example.com" }\n') }, expected: [
      "env.yaml:7:3 services.proxy: needs `host:`; this environment has several hosts (workers, main)",
      "env.yaml:8:3 services.db: needs `host:`; this environment has several hosts (workers, main)",
      "env.yaml:9:3 services.api: needs `host:`; this environment has several hosts (workers, main)",
    ] },
  { name: 'web service without port', files: { 'env.yaml': replace('    port: 8000\n', '') }, expected: [
      "env.yaml:8:3 services.api: is required to have `port:` (kind: web serves HTTP behind the proxy)",
      'env.yaml:12:5 services.api.health: has no effect without `port:` (the healthcheck asks that port); add `port:` or remove `health:`',
      "env.yaml:13:5 services.api.route: a routed service needs `port:`, the container port the proxy sends traffic to",
    ] },
  { name: 'a port\'s bind without publish', files: { 'env.yaml': replace('    port: 8000', '    port: 8000\n    ports: { metrics: { container: 9100, bind: 0.0.0.0 } }') }, expected: [
      'env.yaml:13:42 services.api.ports.metrics.bind: has no effect without `publish:` (it is the address the published port listens on); add `publish:` or remove `bind:`',
    ] },
  { name: 'several mistakes at once', files: { 'env.yaml': replace('kind: postgres', 'kind: postgres, version: 17').replace('    port: 8000', '    port: "8000"').replace('uses: [db]', 'uses: [dbb]') }, expected: [
      "env.yaml:7:25 services.db.version: expected a string, got number 17; quote it: \"17\"",
      "env.yaml:12:5 services.api.port: expected a number, got \"8000\"",
    ] },
  { name: 'duplicate environment name', files: { 'a.yaml': MINIMAL, 'b.yaml': MINIMAL }, main: ['a.yaml', 'b.yaml'], expected: [
      "b.yaml:1:1 name: environment name test is already used by a.yaml; names must be unique",
    ] },
  { name: 'cross-host use without a published port', files: { 'env.yaml': replace('hosts:\n', 'hosts:\n  data: { docker: "ssh://deploy@data.example.com", address: data.example.com }\n').replace('{ kind: postgres, password: DB_PASSWORD }', '{ kind: postgres, host: data, password: DB_PASSWORD }').replace('  proxy: { kind: traefik,', '  proxy: { kind: traefik, host: main,').replace('    image: ghcr.io/acme/api', '    host: main\n    image: ghcr.io/acme/api') }, expected: [
      "env.yaml:17:5 services.api.uses: uses db from another host, but db does not publish its postgres port; set `publish:` on it",
    ] },
  // found by fuzzing, and the security review (issue 11): each exits 1 quickly, positioned, without a stack trace
  { name: 'a million replicas', files: { 'env.yaml': replace('    port: 8000', '    port: 8000\n    replicas: 1000000') }, expected: [
      "env.yaml:13:5 services.api.replicas: must be at most 100, got number 1000000",
    ] },
  { name: 'extends a device', files: { 'env.yaml': 'extends: /dev/zero\n' + MINIMAL }, expected: [
      "env.yaml:1:1 extends: extends /dev/zero, which is not a regular file (a device, socket or pipe); extends names another environment file (a regular YAML file of at most 1 MiB)",
    ] },
  { name: 'extends a directory', files: { 'env.yaml': 'extends: ./sub\n' + MINIMAL, 'sub/x.txt': '' }, expected: [
      "env.yaml:1:1 extends: extends ./sub, which is not a regular file (a directory); extends names another environment file (a regular YAML file of at most 1 MiB)",
    ] },
  { name: 'extends a file over 1 MiB', files: { 'env.yaml': 'extends: ./big.yaml\n' + MINIMAL, 'big.yaml': 'partial: true\n' + '#'.repeat(1024 * 1024) + '\n' }, expected: [
      "env.yaml:1:1 extends: extends ./big.yaml, which is larger than 1 MiB (1048591 bytes); extends names another environment file (a regular YAML file of at most 1 MiB)",
    ] },
  { name: 'alias bomb in an extended file', files: { 'env.yaml': 'extends: ./base.yaml\n' + MINIMAL, 'base.yaml': ALIAS_BOMB }, expected: [
      "base.yaml:4:43 services.api.command.0.0.0.0.0: expands to more than 100000 values through YAML aliases (*name); write the values out or use fewer aliases",
    ] },
  { name: 'uses a name Object.prototype has', files: { 'env.yaml': replace('uses: [db]', 'uses: [constructor]') }, expected: [
      "env.yaml:15:12 services.api.uses.0: unknown service \"constructor\"; known: proxy, db, api",
    ] },
  { name: 'after __proto__', files: { 'env.yaml': replace('uses: [db]', 'uses: [db]\n    after: [__proto__]') }, expected: [
      "env.yaml:16:13 services.api.after.0: unknown service \"__proto__\"; known: proxy, db, api",
    ] },
  { name: 'env key __proto__', files: { 'env.yaml': replace('uses: [db]', 'uses: [db]\n    env: { __proto__: x }') }, expected: [
      "env.yaml:16:12 services.api.env.__proto__: `__proto__` is not allowed as a key (JavaScript would drop it); rename it",
    ] },
  { name: 'memory below what Docker honours', files: { 'env.yaml': replace('{ kind: postgres, password: DB_PASSWORD }', '{ kind: postgres, password: DB_PASSWORD, resources: { memory: 100k } }') }, expected: [
      "env.yaml:7:61 services.db.resources.memory: is below Docker's minimum memory limit of 6m; give at least 6m, e.g. 512m (got \"100k\")",
    ] },
  { name: 'service name ending with a dash', files: { 'env.yaml': replace('  api:\n', '  api-:\n') }, expected: [
      "env.yaml:8:3 services.api-: invalid name \"api-\": a service name must be lower-case letters, digits and dashes, starting with a letter, not ending with a dash, at most 40 characters",
    ] },
  { name: 'service name over 40 characters', files: { 'env.yaml': replace('  api:\n', `  a${'b'.repeat(40)}:\n`) }, expected: [
      "env.yaml:8:3 services.abbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb: invalid name \"abbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\": a service name must be lower-case letters, digits and dashes, starting with a letter, not ending with a dash, at most 40 characters",
    ] },
  { name: 'environment name ending with a dash', files: { 'env.yaml': replace('name: test', 'name: test-') }, expected: [
      "env.yaml:1:1 name: an environment name must be lower-case letters, digits and dashes, starting with a letter, not ending with a dash, at most 40 characters (got \"test-\")",
    ] },
  { name: 'shell in a Postgres database name', files: { 'env.yaml': replace('{ kind: postgres, password: DB_PASSWORD }', '{ kind: postgres, password: DB_PASSWORD, database: "app; touch /tmp/pwn #", user: "u$(id)" }') }, expected: [
      "env.yaml:7:48 services.db.database: a Postgres database name is letters, digits and _, starting with a letter or _ (at most 63) (got \"app; touch /tmp/pwn #\")",
      "env.yaml:7:83 services.db.user: a Postgres role name is letters, digits and _, starting with a letter or _ (at most 63) (got \"u$(id)\")",
    ] },
  { name: 'password inside a URL', files: { 'env.yaml': replace('    uses: [db]', '    uses: [db]\n    env: { DATABASE_URL: "postgres://app:hunter2@db:5432/app" }') }, expected: [
      "env.yaml:16:12 services.api.env.DATABASE_URL: holds a password inside a URL (scheme://user:password@host) in plain YAML; declare a secret in the top-level `secrets:` list, pass its value as TF_VAR_<NAME> at deploy time and deliver it with this service's `secrets:` (or the *_FILE settings `uses:` wires)",
    ] },
  { name: 'secret under a lower-case env key', files: { 'env.yaml': replace('    uses: [db]', '    uses: [db]\n    env: { stripe_api_key: sk_live_123 }') }, expected: [
      "env.yaml:16:12 services.api.env.stripe_api_key: looks like a secret value in plain YAML; declare STRIPE_API_KEY in the top-level `secrets:` list, list it in this service's `secrets:` and pass its value as TF_VAR_STRIPE_API_KEY at deploy time",
    ] },
  { name: 'secret in a label and on the command line', files: { 'env.yaml': replace('    uses: [db]', '    uses: [db]\n    labels: { backup.token: abc123 }\n    command: [serve, "--password=hunter2", --api-key, sk_live_123]') }, expected: [
      "env.yaml:16:15 services.api.labels.backup.token: looks like a secret value in plain YAML (labels show in plans and `docker inspect`); declare a secret in the top-level `secrets:` list, pass its value as TF_VAR_<NAME> at deploy time and deliver it with this service's `secrets:` (or the *_FILE settings `uses:` wires)",
      "env.yaml:17:22 services.api.command.1: holds a secret assigned in plain text (password=…, --token=…) in plain YAML; declare a secret in the top-level `secrets:` list, pass its value as TF_VAR_<NAME> at deploy time and deliver it with this service's `secrets:` (or the *_FILE settings `uses:` wires)",
      "env.yaml:17:55 services.api.command.3: looks like a secret value in plain YAML (the argument of --api-key); declare a secret in the top-level `secrets:` list, pass its value as TF_VAR_<NAME> at deploy time and deliver it with this service's `secrets:` (or the *_FILE settings `uses:` wires)",
    ] },
  { name: 'bind that is not an address', files: { 'env.yaml': replace('{ kind: postgres, password: DB_PASSWORD }', '{ kind: postgres, password: DB_PASSWORD, publish: 5432, bind: everywhere }') }, expected: [
      "env.yaml:7:63 services.db.bind: expected an IP address of the host, e.g. 127.0.0.1, 0.0.0.0 or 10.0.0.5 (got \"everywhere\")",
    ] },
  { name: 'cross-host use of a port published on 127.0.0.1', files: { 'env.yaml': replace('hosts:\n', 'hosts:\n  data: { docker: "ssh://deploy@data.example.com", address: data.example.com }\n').replace('{ kind: postgres, password: DB_PASSWORD }', '{ kind: postgres, host: data, password: DB_PASSWORD, publish: 5432 }').replace('  proxy: { kind: traefik,', '  proxy: { kind: traefik, host: main,').replace('    image: ghcr.io/acme/api', '    host: main\n    image: ghcr.io/acme/api') }, expected: [
      "env.yaml:17:5 services.api.uses: uses db from host main, but db publishes its postgres port on 127.0.0.1 only; set `bind:` on it to an address host main reaches (e.g. 0.0.0.0 or the host's private address)",
    ] },
  { name: 'container hostname over 63 characters', files: { 'env.yaml': replace('name: test', `name: ${'e'.repeat(30)}`).replace('  api:\n', `  ${'a'.repeat(35)}:\n`) }, expected: [
      "env.yaml:8:3 services.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: container hostname eeeeeeeeeeeeeeeeeeeeeeeeeeeeee-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-2 would be 68 characters, over the 63 a hostname may have; shorten the environment or service name",
    ] },
  { name: 'no host at all', files: { 'env.yaml': 'name: k\nhosts: {}\nservices:\n  api: { kind: service, image: x/a, tag: "1" }\n' }, expected: [
      "env.yaml:2:1 hosts: declare at least one Docker host, e.g. local: { docker: \"unix:///var/run/docker.sock\" }",
    ] },
  { name: 'Kubernetes without its section', files: { 'env.yaml': 'name: k\nplatform: kubernetes\nservices:\n  api: { kind: service, image: x/a, tag: "1" }\n' }, expected: [
      "env.yaml:1:1 platform: kubernetes needs a `kubernetes:` section (namespace, nodePools, storageClass)",
    ] },
  { name: 'dependsOn an unknown service', files: { 'env.yaml': replace('  api:', '  other: { kind: service, image: x/a, tag: "1", dependsOn: { dbb: started } }\n  api:') }, expected: [
      "env.yaml:8:62 services.other.dependsOn.dbb: unknown service \"dbb\"; did you mean \"db\"?",
    ] },
  { name: 'a secret declared twice', files: { 'env.yaml': replace('secrets: [DB_PASSWORD, JWT_SECRET]', 'secrets: [DB_PASSWORD, JWT_SECRET, DB_PASSWORD]') }, expected: [
      "env.yaml:4:36 secrets.2: secret DB_PASSWORD is declared twice",
    ] },
  { name: 'a repository secret that is not declared', files: { 'env.yaml': replace('name: test', 'name: test\ngithub: { owner: acme, repository: platform, repositorySecrets: [GHCR_TOKEN] }') }, expected: [
      "env.yaml:2:66 github.repositorySecrets.0: secret GHCR_TOKEN is not declared; add it to the top-level `secrets:` list",
    ] },
  { name: 'entrypoints without a route', files: { 'env.yaml': replace('    port: 8000', '    port: 8000\n    entrypoints: [web]').replace('    route: PathPrefix(`/api`)\n', '') }, expected: [
      "env.yaml:13:5 services.api.entrypoints: has no effect without `route:` (they are the proxy entrypoints of the route); add `route:` or remove `entrypoints:`",
    ] },
];
