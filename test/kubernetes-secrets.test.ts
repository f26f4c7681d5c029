/**
 * `npm run secrets:k8s` and the manifests agree: every Secret (and ConfigMap) key a pod mounts or
 * reads exists in the object it references, for every Kubernetes environment. A mismatch is an
 * empty directory where the application expects its secret file, which the API server accepts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadEnvironments } from '../lib/environments';
import { fileSecretName, SECRET_KEY, secretObjectName } from '../lib/kubernetes/render';
import { kubernetesSecrets, SECRET_VERSION, secretsYaml, type SecretObject } from '../lib/kubernetes/secrets';
import { main } from '../scripts/k8s-secrets';
import { synthKubernetes } from '../scripts/synth-k8s';
import { shared, tempDir } from './helpers';

const root = path.resolve(__dirname, '..');
const dirs = [path.join(root, 'environments'), path.join(root, 'examples', 'trading-homelab')];
// Both made by the first test that needs them (see `shared`).
const kubernetesStacks = shared(() => dirs.flatMap((d) => loadEnvironments(d)).filter((s) => s.platform === 'kubernetes'));
const renderedManifests = shared(() => new Map(synthKubernetes(dirs, tempDir()).map((f) => [path.basename(path.dirname(f)), parseAllDocuments(fs.readFileSync(f, 'utf8')).map((d) => d.toJS())])));
const fake = (n: string) => `value-of-${n}`;

/** Secrets as `secrets:k8s` prints them, read back the way kubectl would. */
function secretsOf(env: string, value: (n: string) => string | undefined = fake): SecretObject[] {
  const r = kubernetesSecrets(kubernetesStacks().find((s) => s.environmentName === env)!, value);
  if (!('objects' in r)) throw new Error(`missing ${r.missing.join(', ')}`);
  return parseAllDocuments(secretsYaml(r.objects)).map((d) => d.toJS());
}

/** The text each Secret holds, by object name, decoded. */
function textsOf(objects: SecretObject[]): (name: string) => string {
  const byName = new Map(objects.map((s) => [s.metadata.name, s]));
  return (name) => Buffer.from(byName.get(name)!.data[SECRET_KEY], 'base64').toString();
}

function podTemplates(docs: any[]): [string, any, string[]][] {
  return docs.flatMap((d: any) => {
    const t = d.kind === 'CronJob' ? d.spec.jobTemplate.spec.template : d.spec?.template;
    const claims = (d.spec?.volumeClaimTemplates ?? []).map((c: any) => c.metadata.name);
    return t ? [[`${d.kind}/${d.metadata.name}`, t, claims] as [string, any, string[]]] : [];
  });
}

describe('secrets:k8s and the manifests', () => {
  it('cover both Kubernetes environments', () => {
    expect([...renderedManifests().keys()].sort()).toEqual(['cluster', 'homelab-cluster']);
    expect(kubernetesStacks().map((s) => s.environmentName).sort()).toEqual(['cluster', 'homelab-cluster']);
  });

  for (const env of ['cluster', 'homelab-cluster']) {
    it(`${env}: every mounted or referenced key exists in the Secret or ConfigMap it names`, () => {
      const docs = renderedManifests().get(env)!;
      const secrets = new Map(secretsOf(env).map((s) => [s.metadata.name, s]));
      const configMaps = new Map(docs.filter((d: any) => d.kind === 'ConfigMap').map((d: any) => [d.metadata.name, d]));
      const keysOf = (v: any): string[] | undefined =>
        v.secret ? (secrets.get(v.secret.secretName) ? Object.keys(secrets.get(v.secret.secretName)!.data) : undefined)
          : v.configMap ? (configMaps.get(v.configMap.name) ? Object.keys(configMaps.get(v.configMap.name).data) : undefined)
            : undefined;
      let mounts = 0;
      for (const [at, t, claims] of podTemplates(docs)) {
        const volumes = new Map<string, any>((t.spec.volumes ?? []).map((v: any) => [v.name, v]));
        for (const v of volumes.values()) {
          if (!v.secret && !v.configMap) continue;
          const keys = keysOf(v);
          expect(keys, `${at}: volume ${v.name} names ${v.secret?.secretName ?? v.configMap?.name}, which nothing creates`).toBeDefined();
          for (const item of v.secret?.items ?? v.configMap?.items ?? []) expect(keys, `${at}: volume ${v.name} item`).toContain(item.key);
        }
        for (const c of [...t.spec.containers, ...(t.spec.initContainers ?? [])]) {
          for (const m of c.volumeMounts ?? []) {
            if (claims.includes(m.name)) continue;
            const v = volumes.get(m.name);
            expect(v, `${at}: mount ${m.mountPath} names volume ${m.name}`).toBeDefined();
            if (!v.secret && !v.configMap) continue;
            mounts++;
            // a subPath that is not a key mounts an empty directory where the file should be
            const files = v.secret?.items || v.configMap?.items ? (v.secret?.items ?? v.configMap.items).map((i: any) => i.path) : keysOf(v);
            if (m.subPath !== undefined) expect(files, `${at}: ${m.mountPath} mounts subPath ${m.subPath} of ${v.secret?.secretName ?? v.configMap.name}`).toContain(m.subPath);
          }
          for (const e of c.env ?? []) {
            const ref = e.valueFrom?.secretKeyRef;
            if (!ref) continue;
            mounts++;
            expect(secrets.get(ref.name)?.data, `${at}: ${e.name} reads ${ref.name}`).toHaveProperty(ref.key);
          }
        }
      }
      expect(mounts).toBeGreaterThan(10);
    });
  }

  it('a secret file holds the value, and a file that embeds secrets holds its text with them filled in', () => {
    const objects = secretsOf('cluster');
    const secrets = new Map(objects.map((s) => [s.metadata.name, s]));
    const text = textsOf(objects);
    expect(text('jwt-secret')).toBe('value-of-JWT_SECRET');
    expect(text('backend-database-url')).toBe('postgresql://app:value-of-DB_PASSWORD@db:5432/app');
    expect(secrets.get('jwt-secret')!.metadata).toEqual({ name: 'jwt-secret', namespace: 'platform', annotations: { [SECRET_VERSION]: '1' } });
  });

  it('an empty value is missing, like an unset one', () => {
    const stack = kubernetesStacks().find((s) => s.environmentName === 'cluster')!;
    expect(kubernetesSecrets(stack, (n) => (n === 'JWT_SECRET' ? '' : n === 'DB_PASSWORD' ? undefined : fake(n)))).toEqual({ missing: ['DB_PASSWORD', 'JWT_SECRET'] });
    const env: NodeJS.ProcessEnv = { ENVIRONMENTS_DIR: path.join(root, 'environments') };
    for (const n of stack.secretNames) env[`TF_VAR_${n}`] = fake(n);
    env.TF_VAR_JWT_SECRET = '';
    let stdout = '';
    let stderr = '';
    expect(main(['cluster'], env, (s) => (stdout += s), (s) => (stderr += s))).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe('missing values (set TF_VAR_<NAME>, not empty): JWT_SECRET\n');
  });

  it('prints the Secrets for kubectl, with the version of each declared secret from kubernetes.secretVersions', () => {
    const dir = tempDir();
    fs.copyFileSync(path.join(root, 'environments', 'base.yaml'), path.join(dir, 'base.yaml'));
    fs.writeFileSync(path.join(dir, 'cluster.yaml'), fs.readFileSync(path.join(root, 'environments', 'cluster.yaml'), 'utf8').replace('  imagePullSecret: ghcr\n', '  imagePullSecret: ghcr\n  secretVersions: { JWT_SECRET: 3 }\n'));
    const env: NodeJS.ProcessEnv = { ENVIRONMENTS_DIR: dir };
    for (const n of kubernetesStacks().find((s) => s.environmentName === 'cluster')!.secretNames) env[`TF_VAR_${n}`] = fake(n);
    let stdout = '';
    expect(main(['cluster'], env, (s) => (stdout += s), () => undefined)).toBe(0);
    const docs = parseAllDocuments(stdout).map((d) => d.toJS());
    expect(docs.every((d: any) => d.kind === 'Secret' && d.metadata.namespace === 'platform')).toBe(true);
    expect(docs.find((d: any) => d.metadata.name === 'jwt-secret').metadata.annotations).toEqual({ [SECRET_VERSION]: '3' });
    expect(docs.find((d: any) => d.metadata.name === 'db-password').metadata.annotations).toEqual({ [SECRET_VERSION]: '1' });
  });

  it('each object whole: one per declared secret and one per file that embeds secrets, nothing for the other files', () => {
    const stack = kubernetesStacks().find((s) => s.environmentName === 'homelab-cluster')!;
    const r = kubernetesSecrets(stack, fake);
    expect(r.missing).toEqual([]);
    const objects = 'objects' in r ? r.objects : [];
    // homelab-cluster also mounts files that embed no secret (Prometheus's and Grafana's
    // provisioning): those are ConfigMaps of the manifests, never Secrets
    const embedding = stack.services.flatMap((s) => s.files.filter((f) => f.sensitive && typeof f.content !== 'function').map((f) => fileSecretName(s, f.path)));
    expect(stack.services.some((s) => s.files.some((f) => !f.sensitive && typeof f.content !== 'function')), 'the environment has a plain static file').toBe(true);
    expect(objects.map((o) => o.metadata.name)).toEqual([...stack.secretNames.map(secretObjectName), ...embedding]);
    expect(objects[0]).toStrictEqual({
      apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
      metadata: { name: secretObjectName(stack.secretNames[0]), namespace: stack.kubernetes!.namespace, annotations: { [SECRET_VERSION]: '1' } },
      data: { [SECRET_KEY]: Buffer.from(fake(stack.secretNames[0])).toString('base64') },
    });
    // a file's Secret carries no version: the pods restart on its content's checksum
    expect(objects.at(-1)!.metadata).toStrictEqual({ name: embedding.at(-1), namespace: stack.kubernetes!.namespace });
  });

  it('a password in a URL is percent-encoded there and kept as it is in its own Secret', () => {
    const password = 'p@ss:w/rd#?%';
    const text = textsOf(secretsOf('cluster', (n) => (n === 'DB_PASSWORD' ? password : fake(n))));
    expect(text('backend-database-url')).toBe(`postgresql://app:${encodeURIComponent(password)}@db:5432/app`);
    expect(text('db-password')).toBe(password);
    // a secret a file embeds as it is (Redis's requirepass) is not encoded; the URL beside it is
    const redisText = textsOf(secretsOf('cluster', (n) => (n === 'REDIS_PASSWORD' ? password : fake(n))));
    expect(redisText('redis-redis-conf')).toContain(`\nrequirepass ${password}\n`);
    expect(redisText('backend-redis-url')).toBe(`redis://:${encodeURIComponent(password)}@redis:6379/0`);
  });

  it('--placeholders (for the API server check) reads no value and fills every key', () => {
    const env: NodeJS.ProcessEnv = { ENVIRONMENTS_DIR: path.join(root, 'environments'), TF_VAR_JWT_SECRET: 'real-jwt-canary' };
    let stdout = '';
    expect(main(['cluster', '--placeholders'], env, (s) => (stdout += s), () => undefined)).toBe(0);
    expect(stdout).not.toContain(Buffer.from('real-jwt-canary').toString('base64'));
    const docs = parseAllDocuments(stdout).map((d) => d.toJS());
    expect(docs.map((d: any) => d.metadata.name)).toEqual(secretsOf('cluster').map((s) => s.metadata.name));
    const jwt = docs.find((d: any) => d.metadata.name === 'jwt-secret');
    expect(Buffer.from(jwt.data.value, 'base64').toString()).toBe('placeholder-jwt-secret');
  });
});
