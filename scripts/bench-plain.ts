/**
 * The baseline for `npm run bench:synth`: a plain cdktf program that declares, directly, the
 * same docker resources stackyard generates for N services on 10 hosts (providers, networks,
 * images, containers with env, labels, healthcheck, limits). No YAML, no model, no checks.
 */
import { App, TerraformStack } from 'cdktf';
import { Container } from '@cdktf/provider-docker/lib/container';
import { Image } from '@cdktf/provider-docker/lib/image';
import { Network } from '@cdktf/provider-docker/lib/network';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';

const n = Number(process.argv[2] ?? '10');
const app = new App({ outdir: process.env.CDKTF_OUTDIR ?? 'cdktf.out', stackTraces: false });
const stack = new TerraformStack(app, 'bench');
const hosts = Array.from({ length: 10 }, (_, h) => {
  const provider = new DockerProvider(stack, `docker_h${h}`, { alias: `h${h}`, host: `ssh://deploy@h${h}.example.com:22` });
  const net = new Network(stack, `net_h${h}`, { provider, name: 'bench-private', driver: 'bridge' });
  const image = new Image(stack, `image_h${h}`, { provider, name: 'ghcr.io/acme/app:1.0', keepLocally: true });
  return { provider, net, image };
});
for (let i = 0; i < n; i++) {
  const h = hosts[i % 10];
  new Container(stack, `svc_s${i}_1`, {
    provider: h.provider,
    name: `bench-s${i}-1`,
    hostname: `bench-s${i}-1`,
    image: h.image.imageId,
    env: ['MODE=bench', `SERVICE=s${i}`],
    labels: [{ label: 'stackyard.environment', value: 'bench' }, { label: 'stackyard.service', value: `s${i}` }],
    networksAdvanced: [{ name: h.net.name, aliases: [`s${i}`] }],
    healthcheck: { test: ['CMD', 'curl', '-fsS', '-o', '/dev/null', 'http://localhost:8000/health'], interval: '10s', timeout: '5s', retries: 5, startPeriod: '10s' },
    memory: 256,
    cpus: '0.5',
    logDriver: 'json-file',
    logOpts: { 'max-size': '10m', 'max-file': '3' },
    restart: 'unless-stopped',
    mustRun: true,
    wait: true,
    waitTimeout: 90,
  });
}
app.synth();
