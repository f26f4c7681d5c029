/**
 * A stand-in `docker` CLI for in-process tests of the code that sequences docker commands
 * (lib/deploy/run.ts, lib/ops/*.ts): put first on PATH, it answers from a JSON world file and logs
 * every call. It knows only what those callers ask: `info`, `ps` (-q or --format {{.Names}}, label,
 * name and volume filters), `inspect`/`container inspect`, `image inspect`, `logs`, `run`/`create`
 * (recording an `--env-file`'s text and mode as it was at that moment), `cp` both ways, `start`,
 * `exec`, `rm`, `network ls|inspect|rm|connect`, `volume ls|rm`. A world with `down: true` answers like an engine
 * that is not running. The real CLI and engine are exercised by test/e2e and test/fleet.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface StandInContainer {
  Id: string;
  Name: string;
  Image?: string;
  Config: { Labels: Record<string, string> };
  Mounts?: { Type: string; Name: string }[];
  State?: unknown;
  NetworkSettings?: { Networks?: Record<string, unknown> };
}

export interface World {
  /** DockerRootDir that `info` reports (a folder that exists, for the free-disk check). */
  root?: string;
  down?: boolean;
  containers?: StandInContainer[];
  networks?: { Id: string; Name: string; Labels?: Record<string, string>; Containers?: Record<string, { Name?: string }> }[];
  volumes?: { Name: string; Labels?: Record<string, string> }[];
  images?: { Id: string; RepoTags: string[] }[];
  /** `docker logs <name>` output; missing: exit 1, "No such container". */
  logs?: Record<string, { stdout?: string; stderr?: string; code?: number }>;
  /** `docker run`/`create` fails with this on stderr. */
  runFails?: string;
  /** `docker rm` and `docker volume rm` fail with this on stderr. */
  rmFails?: string;
  /** `docker network connect` fails with this on stderr. */
  connectFails?: string;
  /** `docker start --attach` and `docker exec` end killed by this signal (the terminal's Ctrl-C reaching docker). */
  killedBy?: string;
  /** Written by the stand-in: whether the last `create --env-file`'s file still existed when `start` ran. */
  envFileAtStart?: boolean;
  /** Files `docker cp <container>:<path> -` finds, by `container:path` (their text). */
  files?: Record<string, string>;
  /** Folders `docker cp - <container>:<folder>` does not find (the image lacks them). */
  missingDirs?: string[];
  /** Exit code of `docker start --attach` and `docker exec`. */
  exitCode?: number;
  /** Written by the stand-in: what each `create --env-file` read, what `cp -` received, networks connected. */
  envFiles?: Record<string, { text: string; mode: number }>;
  copied?: { to: string; bytes: number }[];
  connected?: string[][];
}

const SCRIPT = String.raw`#!/usr/bin/env node
const fs = require('fs');
const file = process.env.STAND_IN_DOCKER_WORLD;
const w = JSON.parse(fs.readFileSync(file, 'utf8'));
const a = process.argv.slice(2);
fs.appendFileSync(process.env.STAND_IN_DOCKER_LOG, JSON.stringify(a) + '\n');
const out = (s) => process.stdout.write(s);
const fail = (s) => { process.stderr.write(s + '\n'); process.exit(1); };
if (w.down) fail('Cannot connect to the Docker daemon at ' + process.env.DOCKER_HOST + '. Is the docker daemon running?');
for (const k of ['containers', 'networks', 'volumes', 'images']) w[k] = w[k] || [];
const save = () => fs.writeFileSync(file, JSON.stringify(w));
const filters = a.filter((x, i) => a[i - 1] === '--filter');
const labelsOf = (o) => (o.Config ? o.Config.Labels : o.Labels) || {};
const matches = (o) => filters.every((f) => {
  const [k, ...rest] = f.split('='); const v = rest.join('=');
  if (k === 'label') { const [lk, ...lv] = v.split('='); return lv.length ? labelsOf(o)[lk] === lv.join('=') : lk in labelsOf(o); }
  if (k === 'name') return new RegExp(v).test(o.Name);
  if (k === 'volume') return (o.Mounts || []).some((m) => m.Name === v);
  return true;
});
const byRef = (ref) => w.containers.find((c) => c.Id === ref || c.Name === '/' + ref);
const opt = (name) => a[a.indexOf(name) + 1];
switch (a[0]) {
  case 'info': out(JSON.stringify({ ServerVersion: '27.5.1', DockerRootDir: w.root, SystemTime: new Date().toISOString() }) + '\n'); break;
  case 'ps': {
    const list = w.containers.filter(matches);
    out(list.map((c) => (a.includes('--format') ? c.Name.slice(1) : c.Id) + '\n').join(''));
    break;
  }
  case 'inspect': case 'container': {
    const refs = a.slice(a[0] === 'container' ? 2 : 1).filter((x) => !x.startsWith('-'));
    if (!refs.length) fail('"docker inspect" requires at least 1 argument.');
    const found = refs.map(byRef);
    if (found.some((c) => !c)) fail('Error: No such container: ' + refs[found.indexOf(undefined)]);
    out(JSON.stringify(found));
    break;
  }
  case 'image': {
    const ids = a.slice(4);
    for (const id of ids) { const i = w.images.find((x) => x.Id === id); if (i) out(i.Id + ' ' + JSON.stringify(i.RepoTags) + '\n'); }
    break;
  }
  case 'logs': {
    const name = a[a.length - 1];
    const l = (w.logs || {})[name];
    if (!l) fail('Error response from daemon: No such container: ' + name);
    out(l.stdout || ''); process.stderr.write(l.stderr || ''); process.exit(l.code || 0);
  }
  case 'run': case 'create': {
    if (w.runFails) fail(w.runFails);
    const labels = {};
    a.forEach((x, i) => { if (a[i - 1] === '--label') { const [k, ...v] = x.split('='); labels[k] = v.join('='); } });
    const name = opt('--name');
    if (a.includes('--env-file')) { const f = opt('--env-file'); w.envFiles = w.envFiles || {}; w.envFiles[name] = { text: fs.readFileSync(f, 'utf8'), mode: fs.statSync(f).mode & 0o777 }; w.lastEnvFile = f; }
    w.containers.push({ Id: 'id-' + name, Name: '/' + name, Config: { Labels: labels } });
    save(); out('id-' + name + '\n');
    break;
  }
  case 'cp':
    if (a[1] === '-') {
      const dir = a[2].slice(a[2].indexOf(':') + 1);
      if ((w.missingDirs || []).includes(dir)) { fs.readFileSync(0); fail('Error response from daemon: Could not find the file ' + dir + ' in container ' + a[2].split(':')[0]); }
      const bytes = fs.readFileSync(0).length;
      w.copied = w.copied || []; w.copied.push({ to: a[2], bytes }); save();
    } else {
      const text = (w.files || {})[a[1]];
      if (text === undefined) fail('Error response from daemon: Could not find the file ' + a[1].split(':')[1] + ' in container ' + a[1].split(':')[0]);
      out(text);
    }
    break;
  case 'start': case 'exec':
    if (a[0] === 'start' && w.lastEnvFile) { w.envFileAtStart = fs.existsSync(w.lastEnvFile); save(); }
    if (w.killedBy) process.kill(process.pid, w.killedBy);
    process.exit(w.exitCode || 0);
  case 'rm': { if (w.rmFails) fail(w.rmFails); const name = a[a.length - 1]; w.containers = w.containers.filter((c) => c.Name !== '/' + name && c.Id !== name); save(); break; }
  case 'network':
    if (a[1] === 'ls') out(w.networks.filter(matches).map((n) => n.Id + '\n').join(''));
    else if (a[1] === 'inspect') {
      if (a.length < 3) fail('"docker network inspect" requires at least 1 argument.');
      out(JSON.stringify(w.networks.filter((n) => a.includes(n.Id))));
    }
    else if (a[1] === 'rm') { w.networks = w.networks.filter((n) => n.Name !== a[2]); save(); }
    else if (a[1] === 'connect') { if (w.connectFails) fail(w.connectFails); w.connected = w.connected || []; w.connected.push([a[2], a[3]]); save(); }
    break;
  case 'volume':
    if (a[1] === 'ls') out(w.volumes.filter(matches).map((v) => v.Name + '\n').join(''));
    else if (a[1] === 'rm') { if (w.rmFails) fail(w.rmFails); w.volumes = w.volumes.filter((v) => v.Name !== a[2]); save(); }
    break;
}
`;

export interface StandIn {
  /** The folder to put first on PATH. */
  readonly bin: string;
  /** Replaces the world. */
  set(world: World): void;
  /** The world as the calls left it. */
  world(): Required<Pick<World, 'containers' | 'networks' | 'volumes'>> & World;
  /** Every call's arguments, in order. */
  calls(): string[][];
  /** What the stand-in needs in the environment of the process that runs `docker`. */
  readonly env: Record<string, string>;
}

/** Writes the stand-in into `dir/bin` (with `dir/docker-world.json` and `dir/docker-calls.log`). */
export function standInDocker(dir: string, world: World = {}): StandIn {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'docker'), SCRIPT, { mode: 0o755 });
  const file = path.join(dir, 'docker-world.json');
  const log = path.join(dir, 'docker-calls.log');
  const set = (w: World) => fs.writeFileSync(file, JSON.stringify({ root: dir, containers: [], networks: [], volumes: [], ...w }));
  set(world);
  return {
    bin,
    set,
    world: () => JSON.parse(fs.readFileSync(file, 'utf8')),
    calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]) : []),
    env: { STAND_IN_DOCKER_WORLD: file, STAND_IN_DOCKER_LOG: log },
  };
}
