import { RUN_ID_PLACEHOLDER, type NewRun } from '../../src/runs/run-store.ts';

/** A run of pipeline `etl` with the given blocks, for tests that drive the run store directly. */
export function newRun(blocks: NewRun['blocks'], overrides: Partial<NewRun> = {}): NewRun {
  return {
    pipelineUuid: 'etl',
    projectDir: '/p',
    trigger: '',
    variables: {},
    executionDate: '2026-11-28T00:00:00.000Z',
    executionPartition: `manual/20261128T000000_000000_${RUN_ID_PLACEHOLDER}`,
    blockRunLimit: 0,
    pipelineRunLimit: 0,
    blocks,
    project: { root: '/p' },
    ...overrides,
  };
}
