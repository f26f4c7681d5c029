import { describe, expect, it } from 'vitest';
import { SingletonService } from '../../constructs/singleton-service';
import { dockerStack } from './harness';

describe('SingletonService', () => {
  it('runs exactly one replica by default', () => {
    const { containers, problems } = dockerStack((s) => new SingletonService(s, 'orchestrator', { host: 'main', image: 'x/o:1' }));
    expect(Object.keys(containers)).toEqual(['svc_orchestrator_1']);
    expect(problems).toEqual([]);
  });
  it('is reported when asked for more', () => {
    const { problems } = dockerStack((s) => new SingletonService(s, 'orchestrator', { host: 'main', image: 'x/o:1', replicas: 3 }));
    expect(problems).toEqual(['orchestrator is a singleton and must run exactly 1 replica, got 3; remove `replicas` or use kind: web']);
  });
});
