import { describe, expect, it } from 'vitest';
import type { V1Job } from '@kubernetes/client-node';
import {
  describeJobIdentity,
  identityLabels,
  instanceSelector,
  labelSafe,
  pipelineSelector,
  readJobIdentity,
  sameIdentity,
} from '../../../src/render/identity.ts';

const ids = { pipelineRunId: 7, blockRunId: 42, attempt: 2, epoch: '1765000000000' };
const jobWith = (labels: Record<string, string>): V1Job => ({ metadata: { labels } });

describe("a Job's identity", () => {
  it('reads back what identityLabels wrote', () => {
    expect(readJobIdentity(identityLabels('{prod}', 'etl', 'load', ids))).toEqual({
      instance: labelSafe('{prod}'),
      ...ids,
    });
  });

  it('has no id where a label is missing, empty or not a positive integer', () => {
    const labels = {
      ...identityLabels('kd', 'etl', 'load', ids),
      'kubedispatch.io/block-run-id': 'x7',
      'kubedispatch.io/attempt': '0',
      'kubedispatch.io/epoch': '',
    };
    expect(readJobIdentity(labels)).toMatchObject({
      blockRunId: undefined,
      attempt: undefined,
      epoch: undefined,
      pipelineRunId: 7,
    });
    expect(readJobIdentity(undefined)).toEqual({
      instance: undefined,
      epoch: undefined,
      pipelineRunId: undefined,
      blockRunId: undefined,
      attempt: undefined,
    });
  });

  it('is the same only when installation, epoch, run, block run and attempt all match', () => {
    const wanted = jobWith(identityLabels('kd', 'etl', 'load', ids));
    expect(sameIdentity(jobWith(identityLabels('kd', 'other', 'b', { ...ids, trigger: 't' })), wanted)).toBe(true);
    expect(sameIdentity(jobWith(identityLabels('staging', 'etl', 'load', ids)), wanted)).toBe(false);
    expect(sameIdentity(jobWith(identityLabels('kd', 'etl', 'load', { ...ids, epoch: '1' })), wanted)).toBe(false);
    expect(describeJobIdentity(jobWith({}))).toBe(
      'installation (none), epoch (none), pipeline run (none), block run (none), attempt (none)',
    );
  });

  it("selects an installation's or a pipeline's Jobs by label-safe values", () => {
    expect(instanceSelector('{kd}')).toBe(
      `app.kubernetes.io/managed-by=kubedispatch,kubedispatch.io/instance=${labelSafe('{kd}')}`,
    );
    expect(pipelineSelector('demo etl')).toBe(
      `app.kubernetes.io/managed-by=kubedispatch,kubedispatch.io/pipeline=${labelSafe('demo etl')}`,
    );
  });
});
