import { describe, expect, it } from 'vitest';
import { isDnsLabel, isLabelValue } from '../../../src/executor-config/k8s-names.ts';
import { identityLabels, labelSafe } from '../../../src/render/identity.ts';
import { dnsSafe, jobName as jobNameOf, jobTriggerName } from '../../../src/render/job-name.ts';

const jobName = (
  prefix: string,
  trigger: string | undefined,
  blockRunId: number,
  attempt: number,
  clusterUuid = 'mage',
) => jobNameOf({ clusterUuid, prefix, trigger, blockRunId, attempt });

describe('jobName', () => {
  it.each([
    ['data-prep', undefined, 42, 1, 'mage-data-prep-block-42'],
    ['data-prep', undefined, 42, 2, 'mage-data-prep-block-42-a2'],
    ['etl-{trigger_name}', 'Hourly Refresh!', 7, 1, 'mage-etl-hourly-refresh--block-7'],
    ['etl-{trigger_name}', '2nd_Daily run', 7, 1, 'mage-etl-letter-2nd-daily-run-block-7'],
    ['etl-{trigger_name}', 'Tâche "été"', 7, 1, 'mage-etl-t-che--t--block-7'],
    ['{trigger_name}', undefined, 7, 3, 'mage--block-7-a3'],
  ])('prefix %j trigger %j run %d attempt %d → %s', (prefix, trigger, runId, attempt, expected) => {
    expect(jobName(prefix, trigger, runId, attempt)).toEqual({ ok: true, name: expected });
  });

  it('shortens long names in the prefix part with a stable hash, keeping the -block tail whole', () => {
    const long = 'x'.repeat(80);
    const first = jobName(long, undefined, 123456789, 12);
    expect(first.ok && first.name).toMatch(/^mage-x+-[0-9a-f]{8}-block-123456789-a12$/);
    expect(first.ok && first.name.length).toBe(63);
    expect(first.ok && isDnsLabel(first.name)).toBe(true);
    expect(jobName(long, undefined, 123456789, 12)).toEqual(first);
    const other = jobName(`${'x'.repeat(79)}y`, undefined, 123456789, 12);
    expect(other.ok && first.ok && other.name !== first.name).toBe(true);
  });

  it('shortens long trigger names the same way', () => {
    const result = jobName(
      '{trigger_name}',
      'A very long trigger name that a user typed into the Mage UI without thinking',
      5,
      1,
    );
    expect(result.ok && isDnsLabel(result.name)).toBe(true);
    expect(result.ok && result.name.endsWith('-block-5')).toBe(true);
  });

  it.each([
    [
      '{pipeline_uuid}-x',
      /unknown placeholder \{pipeline_uuid\} in "\{pipeline_uuid\}-x"; only \{trigger_name\} is supported/,
    ],
    [
      'Data_Prep',
      /"Data_Prep" cannot be part of a Job name: expected lower-case letters, digits, "-" and \{trigger_name\}/,
    ],
  ])('refuses %j', (prefix, message) => {
    const result = jobName(prefix, 't', 1, 1);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(message);
  });

  it('makes trigger names DNS-safe', () => {
    expect(dnsSafe('Daily_Run 2.0')).toBe('daily-run-2-0');
    expect(jobTriggerName('Daily_Run 2.0')).toBe('daily-run-2-0');
  });

  it('starts with MAGE_CLUSTER_UUID', () => {
    expect(jobName('data-prep', undefined, 42, 1, 'prod-cluster')).toEqual({
      ok: true,
      name: 'prod-cluster-data-prep-block-42',
    });
  });
});

describe('labels', () => {
  it('keep valid values and shorten or clean others with a hash', () => {
    expect(labelSafe('load_orders')).toBe('load_orders');
    expect(labelSafe('')).toBe('');
    const long = labelSafe('b'.repeat(100));
    expect(long).toMatch(/^b+-[0-9a-f]{8}$/);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(labelSafe('Hourly Refresh!')).toMatch(/^Hourly-Refresh-[0-9a-f]{8}$/);
    expect(labelSafe('!!!')).toMatch(/^[0-9a-f]{8}$/);
    for (const value of [long, labelSafe('Hourly Refresh!'), labelSafe('-x-')]) expect(isLabelValue(value)).toBe(true);
  });

  it('identify the run', () => {
    expect(
      identityLabels('{prod}', 'etl', 'load', { pipelineRunId: 7, blockRunId: 42, attempt: 2, trigger: 'hourly' }),
    ).toEqual({
      'app.kubernetes.io/managed-by': 'kubedispatch',
      'kubedispatch.io/instance': labelSafe('{prod}'),
      'kubedispatch.io/pipeline': 'etl',
      'kubedispatch.io/block': 'load',
      'kubedispatch.io/pipeline-run-id': '7',
      'kubedispatch.io/block-run-id': '42',
      'kubedispatch.io/trigger': 'hourly',
      'kubedispatch.io/attempt': '2',
    });
  });
});
