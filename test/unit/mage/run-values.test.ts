import { describe, expect, it } from 'vitest';
import { runValues } from '../../../src/mage/run-values.ts';

describe('runValues', () => {
  it('uses the stored partition and execution date', () => {
    const values = runValues(
      {
        id: 5,
        trigger: 't',
        variables: {},
        executionDate: '2024-01-01T00:00:00.000Z',
        executionPartition: '3/20240101T000000',
        createdAt: 0,
      },
      { p: 1 },
    );
    expect(values.executionPartition).toBe('3/20240101T000000');
    expect(values.runtimeVariables).toMatchObject({
      p: 1,
      execution_date: '2024-01-01 00:00:00+00:00',
      execution_partition: '3/20240101T000000',
      pipeline_run_id: 5,
    });
  });

  it('falls back to createdAt and a manual partition for runs stored before either was recorded', () => {
    const values = runValues(
      { id: 5, trigger: '', variables: {}, createdAt: Date.parse('2024-02-03T04:05:06.007Z') },
      {},
    );
    expect(values.executionPartition).toBe('manual/20240203T040506_007000_5');
    expect(values.runtimeVariables['execution_date']).toBe('2024-02-03 04:05:06.007000+00:00');
  });
});
