import { execSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';

const serversOf = (dir: string) => execSync('ps -eo args').toString().split('\n').filter((l) => l.includes('model-server.js') && l.includes(dir));

describe('a two-stage pipeline on real servers', () => {
  it('IPA chooses variant, batch and replicas per stage from the measured profile; each request passes both stages', async () => {
    if (!existsSync('dist/servesim.js')) execSync('node scripts/build.mjs');
    const dir = tempDir('servesim-pipeline-');
    execSync(`node bin/servesim.js build-models --out ${dir}/models --variants cnn-tiny,cnn-xs -q`);
    execSync(`node bin/servesim.js profile --models ${dir}/models --variants cnn-tiny,cnn-xs --batches 1,2 --cores 1 --runs 5 --out ${dir}/profile.csv -q`);
    const deployment = (name: string, variant: string, replicas: number, accuracy: number) => ({
      name,
      replicas,
      cores: 1,
      queue: 'per-replica',
      accuracy,
      profile: { file: join(dir, 'profile.csv'), variant },
      lifecycle: { containerStartSeconds: 0.15, modelLoadSeconds: 0.05 },
    });
    const spec = join(dir, 'spec.json');
    writeFileSync(
      spec,
      JSON.stringify({
        name: 'ipa-real',
        duration: 8,
        window: 2,
        workload: { arrivals: { process: 'poisson', rate: 20 }, slo: 0.4 },
        metricsServer: { scrapeSeconds: 1 },
        deployments: [deployment('first-tiny', 'cnn-tiny', 1, 0.5), deployment('first-xs', 'cnn-xs', 0, 0.6), deployment('second-tiny', 'cnn-tiny', 1, 0.7), deployment('second-xs', 'cnn-xs', 0, 0.8)],
        pipelines: [
          {
            name: 'p',
            stages: [
              { name: 'first', deployments: ['first-tiny', 'first-xs'], weights: [1, 0] },
              { name: 'second', deployments: ['second-tiny', 'second-xs'], weights: [1, 0] },
            ],
          },
        ],
        policy: {
          name: 'ipa',
          stages: [
            { stage: 'first', deployments: ['first-tiny', 'first-xs'], slaSeconds: 0.2 },
            { stage: 'second', deployments: ['second-tiny', 'second-xs'], slaSeconds: 0.2 },
          ],
          intervalSeconds: 2,
          firstDecisionSeconds: 2,
          predictor: 'reactive',
          scalingCap: 2,
          batchingCap: 2,
        },
      }),
    );
    execSync(`node bin/servesim.js testbed run ${spec} --out ${dir}/out --models ${dir}/models -q`);
    const summary = JSON.parse(readFileSync(join(dir, 'out', 'summary.json'), 'utf8'));
    expect(summary.policy).toBe('ipa');
    expect(summary.requests).toBeGreaterThan(100);
    expect(summary.completed + summary.dropped + summary.inFlight).toBe(summary.requests);
    const requestsOf = (prefix: string) => summary.deployments.filter((d: { name: string }) => d.name.startsWith(prefix)).reduce((sum: number, d: { requests: number }) => sum + d.requests, 0);
    // Every request enters the first stage; every completed one has passed the second.
    expect(requestsOf('first-')).toBe(summary.requests);
    expect(requestsOf('second-')).toBeGreaterThanOrEqual(summary.completed);
    // End-to-end accuracy is the product of the two stages' variant accuracies.
    expect(summary.accuracy).toBeGreaterThanOrEqual(0.5 * 0.7 - 1e-9);
    expect(summary.accuracy).toBeLessThanOrEqual(0.6 * 0.8 + 1e-9);
    expect(summary.timing.solveMs.decisions).toBeGreaterThan(0);
    expect(serversOf(dir)).toEqual([]);
  }, 90_000);
});
