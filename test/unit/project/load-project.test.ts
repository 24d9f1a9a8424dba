import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadProject, readProject } from '../../../src/project/load-project.ts';
import { problemsOf, writeTree } from '../support/mage-project.ts';

const pipeline = (blocks: unknown[], extra: Record<string, unknown> = {}) => ({ uuid: 'p', blocks, ...extra });

describe('loadProject', () => {
  it('reads the project config, pipelines and the block fields kubedispatch uses, ignoring Mage keys it does not', () => {
    const dir = writeTree({
      'metadata.yaml': {
        project_uuid: 'abc',
        help_improve_mage: true,
        k8s_executor_config: { namespace: 'jobs' },
        retry_config: { retries: 1, exponential_backoff: false },
      },
      'pipelines/p/metadata.yaml': pipeline(
        [
          {
            uuid: 'a',
            type: 'data_loader',
            language: 'python',
            upstream_blocks: [],
            downstream_blocks: ['b'],
            executor_type: 'K8S',
            configuration: { x: 1 },
          },
          {
            uuid: 'b',
            type: 'transformer',
            upstream_blocks: ['a'],
            downstream_blocks: [],
            retry_config: { retries: 3, delay: 10 },
            executor_config: { job: { backoff_limit: 2 } },
          },
        ],
        {
          executor_type: 'local_python',
          executor_config: { job_name_prefix: 'p' },
          concurrency_config: { block_run_limit: 2, pipeline_run_limit: 1 },
          cache_block_output_in_memory: false,
        },
      ),
      'pipelines/p/triggers.yaml': 'triggers: []\n',
      'pipelines/not_a_pipeline/readme.txt': 'no metadata here',
    });
    const project = loadProject(dir);
    expect(project.dir).toBe(dir);
    expect(project.metadataFile).toBe(join(dir, 'metadata.yaml'));
    expect(project.k8sExecutorConfig).toEqual({ namespace: 'jobs' });
    // Only the keys written: Mage merges them under each block's, key by key (retry-config.ts).
    expect(project.retryConfig).toEqual({ retries: 1, exponentialBackoff: false });
    expect(project.pipelines).toHaveLength(1);
    const [p] = project.pipelines;
    expect(p).toMatchObject({
      uuid: 'p',
      file: join(dir, 'pipelines/p/metadata.yaml'),
      executorType: 'local_python',
      executorConfig: { jobNamePrefix: 'p' },
      concurrencyConfig: { blockRunLimit: 2, pipelineRunLimit: 1 },
    });
    expect(p?.blocks[0]).toEqual({
      uuid: 'a',
      type: 'data_loader',
      upstreamBlocks: [],
      downstreamBlocks: ['b'],
      executorType: 'k8s',
      executorConfig: null,
      retryConfig: {},
      keyPath: 'blocks[0]',
    });
    expect(p?.blocks[1]?.retryConfig).toEqual({ retries: 3, delay: 10 });
    expect(p?.blocks[1]?.executorConfig).toEqual({ job: { backoffLimit: 2 } });
  });

  it('returns plain JSON data', () => {
    const project = loadProject(join(import.meta.dirname, '../../../examples/project'));
    expect(JSON.parse(JSON.stringify(project))).toEqual(project);
  });

  it('treats absent and null configs and lists as empty', () => {
    const dir = writeTree({
      'metadata.yaml': 'k8s_executor_config:\n',
      'pipelines/p/metadata.yaml': 'blocks:\n- uuid: a\n  upstream_blocks:\n  executor_config: null\n',
    });
    const project = loadProject(dir);
    expect(project.k8sExecutorConfig).toBeNull();
    expect(project.pipelines[0]?.blocks[0]).toMatchObject({
      upstreamBlocks: [],
      executorConfig: null,
      executorType: null,
    });
    expect(project.pipelines[0]?.concurrencyConfig).toEqual({ blockRunLimit: null, pipelineRunLimit: null });
  });

  it('reports a directory that is not a Mage project', () => {
    const dir = writeTree({ 'readme.md': 'x' });
    expect(problemsOf(() => loadProject(dir))).toEqual([
      expect.objectContaining({
        file: join(dir, 'metadata.yaml'),
        message: expect.stringMatching(/not a Mage project/),
      }),
    ]);
  });

  it('reports every wrong type with its key path, across files', () => {
    const dir = writeTree({
      'metadata.yaml': { k8s_executor_config: ['not', 'a', 'mapping'], retry_config: { max_delay: 'long' } },
      'pipelines/p/metadata.yaml': pipeline(
        [
          { uuid: 'a', upstream_blocks: 'b', retry_config: { retries: -1, exponential_backoff: 'yes' } },
          { uuid: 5 },
          'just a string',
        ],
        { concurrency_config: { block_run_limit: 'many' } },
      ),
      'pipelines/q/metadata.yaml': '- a list\n',
    });
    const problems = readProject(dir).problems.map((p) => [p.file.slice(dir.length + 1), p.keyPath, p.message]);
    expect(problems).toEqual(
      expect.arrayContaining([
        ['metadata.yaml', 'k8s_executor_config', 'expected a mapping, got a list (line 1)'],
        ['metadata.yaml', 'retry_config.max_delay', 'expected a whole number from 0 to 2147483, got a string (line 6)'],
        [
          'pipelines/p/metadata.yaml',
          'concurrency_config.block_run_limit',
          'expected a whole number ≥ 0, got a string (line 11)',
        ],
        ['pipelines/p/metadata.yaml', 'blocks[0].upstream_blocks', 'expected a list of strings, got a string (line 4)'],
        [
          'pipelines/p/metadata.yaml',
          'blocks[0].retry_config.retries',
          'expected a whole number from 0 to 1000, got the number -1 (line 6)',
        ],
        [
          'pipelines/p/metadata.yaml',
          'blocks[0].retry_config.exponential_backoff',
          'expected true or false, got a string (line 7)',
        ],
        ['pipelines/p/metadata.yaml', 'blocks[1].uuid', 'expected a string, got the number 5 (line 8)'],
        ['pipelines/p/metadata.yaml', 'blocks[2]', 'expected a block mapping, got a string (line 9)'],
        ['pipelines/q/metadata.yaml', '', 'expected a mapping at the top level, got a list'],
      ]),
    );
    expect(problems).toHaveLength(9);
  });

  it('reports malformed YAML with its line and still reads the other pipelines', () => {
    const dir = writeTree({
      'metadata.yaml': {},
      'pipelines/bad/metadata.yaml': 'blocks:\n  - uuid: a\n   type: x\n',
      'pipelines/good/metadata.yaml': { blocks: [{ uuid: 'a' }] },
    });
    const { project, problems } = readProject(dir);
    expect(problems).toEqual([
      expect.objectContaining({
        file: join(dir, 'pipelines/bad/metadata.yaml'),
        message: expect.stringMatching(/invalid YAML: line 3/),
      }),
    ]);
    expect(project.pipelines.map((p) => p.uuid)).toEqual(['good']);
  });

  it('uses the folder name as the uuid and warns when the file says otherwise', () => {
    const dir = writeTree({ 'metadata.yaml': {}, 'pipelines/real/metadata.yaml': { uuid: 'other', blocks: [] } });
    const { project, problems } = readProject(dir);
    expect(project.pipelines[0]?.uuid).toBe('real');
    expect(problems).toEqual([expect.objectContaining({ severity: 'warning', keyPath: 'uuid' })]);
  });
});
