import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readProject } from '../../../src/project/load-project.ts';
import { writeTree } from '../support/mage-project.ts';

/** A project with one pipeline `etl` written as given (a YAML mapping). */
function readPipeline(pipeline: Record<string, unknown>) {
  const dir = writeTree({
    'metadata.yaml': { project_uuid: 'x' },
    'pipelines/etl/metadata.yaml': { uuid: 'etl', executor_type: 'k8s', ...pipeline },
  });
  const { project, problems } = readProject(dir, undefined, {});
  return { pipeline: project.pipelines[0], problems, file: join(dir, 'pipelines/etl/metadata.yaml') };
}

const block = (uuid: string, extra: Record<string, unknown> = {}) => ({
  uuid,
  type: 'transformer',
  upstream_blocks: [],
  downstream_blocks: [],
  ...extra,
});

describe('pipeline and block kinds kubedispatch refuses, with why and what to do', () => {
  it.each([
    [
      'a data-integration pipeline',
      { type: 'integration', blocks: [block('source')] },
      'type',
      /pipeline "etl" is a data-integration pipeline \(type: integration\).*one block run per stream.*Mage's database.*rebuild it as a standard \(type: python\) pipeline/,
    ],
    [
      'a streaming pipeline',
      { type: 'streaming', blocks: [block('kafka')] },
      'type',
      /pipeline "etl" is a streaming pipeline \(type: streaming\).*long-lived processes.*run this pipeline with Mage's own scheduler/,
    ],
    [
      'run_pipeline_in_one_process',
      { run_pipeline_in_one_process: true, blocks: [block('a')] },
      'run_pipeline_in_one_process',
      /pipeline "etl" sets run_pipeline_in_one_process: true.*loops over the block runs in Mage's database.*remove the key \(or set it to false\)/,
    ],
    [
      'a dynamic block',
      {
        blocks: [
          block('fan_out', { configuration: { dynamic: true } }),
          block('child', { upstream_blocks: ['fan_out'] }),
        ],
      },
      'blocks[0].configuration.dynamic',
      /block "fan_out" is a dynamic block.*Mage's database.*remove configuration.dynamic and loop over the items inside the downstream block/,
    ],
    [
      "a dynamic block of Mage's second dynamic-block format",
      { blocks: [block('fan_out', { configuration: { dynamic: { parent: true } } })] },
      'blocks[0].configuration.dynamic',
      /block "fan_out" is a dynamic block/,
    ],
    [
      'reduce_output',
      { blocks: [block('a'), block('gather', { upstream_blocks: ['a'], configuration: { reduce_output: true } })] },
      'blocks[1].configuration.reduce_output',
      /block "gather" sets reduce_output.*Mage's database/,
    ],
  ])('refuses %s', (_name, pipeline, keyPath, message) => {
    const { problems, file } = readPipeline(pipeline);
    const errors = problems.filter((problem) => problem.severity === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ file, keyPath });
    expect(errors[0]?.message).toMatch(message);
  });

  it.each([
    ['type: python', { type: 'python' }],
    ['run_pipeline_in_one_process: false', { run_pipeline_in_one_process: false }],
    [
      'configuration.dynamic: false and reduce_output: false',
      { blocks: [block('a', { configuration: { dynamic: false, reduce_output: false } })] },
    ],
  ])('accepts %s', (_name, pipeline) => {
    expect(readPipeline({ blocks: [block('a')], ...pipeline }).problems).toEqual([]);
  });
});

describe('which entries become block runs', () => {
  it('leaves out chart, markdown and scratchpad blocks, as Mage does', () => {
    const { pipeline, problems } = readPipeline({
      blocks: [
        block('load', { type: 'data_loader', downstream_blocks: ['plot', 'clean'] }),
        block('notes', { type: 'markdown', language: 'markdown' }),
        block('plot', { type: 'chart', upstream_blocks: ['load'] }),
        block('try_things', { type: 'scratchpad' }),
        block('clean', { upstream_blocks: ['load'] }),
      ],
    });
    expect(problems).toEqual([]);
    expect(pipeline?.blocks.map((entry) => entry.uuid)).toEqual(['load', 'clean']);
    expect(pipeline?.blocks[0]?.downstreamBlocks).toEqual(['clean']);
  });

  it('makes no runs of callbacks, conditionals, widgets and extension blocks, and keeps the DAG whole through them', () => {
    const { pipeline, problems } = readPipeline({
      blocks: [
        block('load', {
          type: 'data_loader',
          downstream_blocks: ['notify', 'chart_of_load', 'report'],
          callback_blocks: ['notify'],
          conditional_blocks: ['only_weekdays'],
        }),
        // Placed after the callback in the file: it still waits for the block the callback belongs to.
        block('report', { type: 'data_exporter', upstream_blocks: ['notify'] }),
      ],
      callbacks: [{ uuid: 'notify', type: 'callback', upstream_blocks: ['load'] }],
      conditionals: [{ uuid: 'only_weekdays', type: 'conditional', upstream_blocks: ['load'] }],
      widgets: [{ uuid: 'chart_of_load', type: 'chart', upstream_blocks: ['load'] }],
      extensions: {
        great_expectations: { blocks: [{ uuid: 'expect_rows', type: 'extension', upstream_blocks: ['load'] }] },
      },
    });
    expect(problems).toEqual([]);
    expect(pipeline?.blocks.map((entry) => [entry.uuid, entry.upstreamBlocks, entry.downstreamBlocks])).toEqual([
      ['load', [], ['report']],
      ['report', ['load'], []],
    ]);
  });

  it('ignores a conditional that names the block it guards as its own upstream (no cycle)', () => {
    const { pipeline, problems } = readPipeline({
      blocks: [block('a', { upstream_blocks: ['guard'] })],
      conditionals: [{ uuid: 'guard', upstream_blocks: ['a'] }],
    });
    expect(problems).toEqual([]);
    expect(pipeline?.blocks[0]?.upstreamBlocks).toEqual([]);
  });

  it('refuses a block that waits for a block Mage never runs (under Mage it would never start)', () => {
    const { problems } = readPipeline({
      blocks: [block('notes', { type: 'markdown' }), block('a', { upstream_blocks: ['notes'] })],
    });
    expect(problems).toEqual([
      expect.objectContaining({
        severity: 'error',
        keyPath: 'blocks[1].upstream_blocks[0]',
        message: expect.stringMatching(
          /block "a" waits for markdown block "notes", which Mage never runs.*remove "notes" from upstream_blocks/,
        ),
      }),
    ]);
  });
});
