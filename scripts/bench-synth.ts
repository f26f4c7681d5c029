/**
 * `npm run bench:synth`: synthesis time of stackyard against a plain cdktf program declaring the
 * same docker resources (scripts/bench-plain.ts), for 10, 100 and 1,000 services on 10 hosts.
 * Each run is a fresh `node` process (start-up included), A and B alternate, medians reported.
 * Then the bundled environments (environments/) as a user synthesizes them when no TypeScript
 * changed: `stackyard synth` (which checks the source hash and compiles nothing) next to plain
 * `node dist/bin/main.js` on the built output.
 * Not a test: it prints figures; tests assert behaviour.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const sizes = (process.env.BENCH_SIZES ?? '10,100,1000').split(',').map(Number);
const rounds = Number(process.env.BENCH_ROUNDS ?? '5');
const rssPreload = path.join(root, 'scripts', 'bench', 'maxrss.js');

function environment(n: number): string {
  const hosts = Array.from({ length: 10 }, (_, h) => `  h${h}: { docker: "ssh://deploy@h${h}.example.com:22", address: 10.0.0.${h + 1} }`).join('\n');
  const services = Array.from({ length: n }, (_, i) =>
    `  s${i}: { kind: service, host: h${i % 10}, image: ghcr.io/acme/app, tag: "1.0", env: { MODE: bench }, ports: { http: 8000 }, healthcheck: { test: [CMD, curl, -fsS, -o, /dev/null, "http://localhost:8000/health"] }, resources: { cpus: 0.5, memory: 256m } }`,
  ).join('\n');
  return `name: bench\nprotectVolumes: false\nhosts:\n${hosts}\nservices:\n${services}\n`;
}

function run(args: string[], env: NodeJS.ProcessEnv): { ms: number; rssMb: number } {
  const rssFile = path.join(os.tmpdir(), `bench-rss-${process.pid}`);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-r', rssPreload, ...args], { env: { ...process.env, ...env, STACKYARD_BENCH_RSS: rssFile }, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`benchmark run failed: ${r.stderr}`);
  return { ms, rssMb: Number(fs.readFileSync(rssFile, 'utf8')) / 1024 };
}

/** CPU time (user + system) of this process's waited-for children so far, in ms; NaN where /proc is missing. */
function childrenCpuMs(): number {
  try {
    // /proc/self/stat: fields 16 and 17 (cutime, cstime) in clock ticks, after the parenthesized name
    const fields = fs.readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /s, '').split(' ');
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

console.log(`synth benchmark: ${rounds} alternating rounds per size, node ${process.version}, ${os.cpus().length} CPUs`);
console.log('services  stackyard median  plain cdktf median  ratio  stackyard peak RSS  plain peak RSS  stackyard with cdktf traces');
let last = NaN;
for (const n of sizes) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-${n}-`));
  fs.mkdirSync(path.join(dir, 'envs'));
  fs.writeFileSync(path.join(dir, 'envs', 'bench.yaml'), environment(n));
  const a: { ms: number; rssMb: number }[] = [];
  const b: { ms: number; rssMb: number }[] = [];
  const c: { ms: number; rssMb: number }[] = [];
  for (let r = 0; r < rounds; r++) {
    const sy = () => a.push(run([path.join(root, 'dist', 'bin', 'main.js')], { ENVIRONMENTS_DIR: path.join(dir, 'envs'), CDKTF_OUTDIR: path.join(dir, 'a'), STACKYARD_QUIET: '1' }));
    const pl = () => b.push(run([path.join(root, 'dist', 'scripts', 'bench-plain.js'), String(n)], { CDKTF_OUTDIR: path.join(dir, 'b') }));
    // stackyard again with cdktf's creation traces kept: shows what lib/trace-capture.ts saves
    const tr = () => c.push(run([path.join(root, 'dist', 'bin', 'main.js')], { ENVIRONMENTS_DIR: path.join(dir, 'envs'), CDKTF_OUTDIR: path.join(dir, 'c'), STACKYARD_QUIET: '1', STACKYARD_CDKTF_TRACES: '1' }));
    if (r % 2 === 0) { sy(); pl(); tr(); } else { tr(); pl(); sy(); }
  }
  const ma = median(a.map((x) => x.ms)), mb = median(b.map((x) => x.ms));
  last = ma / mb;
  const ra = Math.max(...a.map((x) => x.rssMb)), rb = Math.max(...b.map((x) => x.rssMb));
  const mc = median(c.map((x) => x.ms));
  console.log(`${String(n).padStart(8)}  ${(ma / 1000).toFixed(2).padStart(14)} s  ${(mb / 1000).toFixed(2).padStart(16)} s  ${last.toFixed(2).padStart(5)}  ${ra.toFixed(0).padStart(15)} MB  ${rb.toFixed(0).padStart(11)} MB  ${(mc / 1000).toFixed(2).padStart(10)} s (${(mc / mb).toFixed(2)}×)`);
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log(`synth ratio stackyard/plain at ${sizes[sizes.length - 1]} services: ${last.toFixed(2)}`);

// incremental synth: the command a user runs after editing only YAML, against plain node on the build
{
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-bundled-'));
  const env = { ENVIRONMENTS_DIR: path.join(root, 'environments'), STACKYARD_QUIET: '1' };
  // wall time, and the CPU time the child used (user + system, from the kernel's count for
  // waited-for children): on a shared machine wall grows with the load, CPU barely does
  const wall = (args: string[], outdir: string) => {
    const c0 = childrenCpuMs();
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd: root, env: { ...process.env, ...env, CDKTF_OUTDIR: outdir }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`benchmark run failed: ${r.stderr}`);
    return { ms: Number(process.hrtime.bigint() - t0) / 1e6, cpuMs: childrenCpuMs() - c0 };
  };
  const cli: { ms: number; cpuMs: number }[] = [];
  const plain: { ms: number; cpuMs: number }[] = [];
  for (let r = 0; r < rounds; r++) {
    const a = () => cli.push(wall([path.join(root, 'dist', 'bin', 'stackyard.js'), 'synth'], path.join(out, 'a')));
    const b = () => plain.push(wall([path.join(root, 'dist', 'bin', 'main.js')], path.join(out, 'b')));
    if (r % 2 === 0) { a(); b(); } else { b(); a(); }
  }
  fs.rmSync(out, { recursive: true, force: true });
  const s = (xs: number[]) => (median(xs) / 1000).toFixed(2);
  const cpu = (xs: { cpuMs: number }[]) => (Number.isNaN(xs[0].cpuMs) ? '' : `, ${s(xs.map((x) => x.cpuMs))} s CPU`);
  console.log(`bundled environments, no TypeScript changed: stackyard synth ${s(cli.map((x) => x.ms))} s${cpu(cli)}, plain node dist/bin/main.js ${s(plain.map((x) => x.ms))} s${cpu(plain)} (medians of ${rounds}, wall; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs)`);
}
