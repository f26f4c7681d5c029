/**
 * What a deploy says when a new replica never became healthy: the provider's own error names
 * only the resource (`container failed to be in healthy state`), so the deploy adds the service,
 * the replica, the container and the last lines of its healthcheck output, read from the engine.
 */

/** The parts of `docker inspect` this reads. */
export interface InspectedContainer {
  readonly Name: string;
  readonly Config?: { readonly Labels?: Readonly<Record<string, string>> };
  readonly State?: {
    readonly Status?: string;
    readonly Health?: { readonly Status?: string; readonly Log?: readonly { readonly ExitCode?: number; readonly Output?: string }[] };
  };
}

/** Lines of health output shown per replica. */
export const HEALTH_LINES = 5;

/** One paragraph per replica that has a healthcheck and is not healthy, sorted by service and replica. */
export function unhealthyReport(containers: readonly InspectedContainer[]): string[] {
  return containers
    .filter((c) => c.State?.Health && c.State.Health.Status !== 'healthy')
    .map((c) => {
      const labels = c.Config?.Labels ?? {};
      return { service: labels['stackyard.service'] ?? '?', replica: labels['stackyard.replica'] ?? '?', c };
    })
    .sort((a, b) => a.service.localeCompare(b.service) || Number(a.replica) - Number(b.replica))
    .map(({ service, replica, c }) => {
      const name = c.Name.replace(/^\//, '');
      const health = c.State!.Health!;
      const output = (health.Log ?? [])
        .flatMap((l) => (l.Output ?? '').split('\n').map((x) => x.trimEnd()).filter(Boolean).map((x) => `(exit ${l.ExitCode ?? '?'}) ${x}`))
        .slice(-HEALTH_LINES);
      const state = c.State!.Status === 'running' ? health.Status : `${c.State!.Status}, ${health.Status}`;
      return [
        `service ${service}, replica ${replica}: container ${name} is ${state}, not healthy; the replicas it was to replace keep serving`,
        ...(output.length ? [`  last health output:`, ...output.map((x) => `    ${x}`)] : ['  no health output yet']),
      ].join('\n');
    });
}
