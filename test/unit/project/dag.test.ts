import { describe, expect, it } from 'vitest';
import { ProblemList } from '../../../src/errors/config-problem.ts';
import { checkDag, topologicalOrder, upstreamMap } from '../../../src/project/dag.ts';
import { DEFAULT_RETRY_CONFIG } from '../../../src/project/model.ts';
import type { Pipeline } from '../../../src/project/model.ts';

function pipelineOf(edges: Record<string, string[]>, downstream: Record<string, string[]> = {}): Pipeline {
  return {
    uuid: 'p',
    file: 'p.yaml',
    executorType: null,
    executorConfig: null,
    concurrencyConfig: { blockRunLimit: null, pipelineRunLimit: null },
    variables: {},
    blocks: Object.entries(edges).map(([uuid, upstreams], index) => ({
      uuid,
      type: null,
      upstreamBlocks: upstreams,
      executorType: null,
      executorConfig: null,
      retryConfig: DEFAULT_RETRY_CONFIG,
      keyPath: `blocks[${index}]`,
      downstreamBlocks:
        downstream[uuid] ??
        Object.entries(edges)
          .filter(([, ups]) => ups.includes(uuid))
          .map(([down]) => down),
    })),
  };
}

function check(pipeline: Pipeline) {
  const problems = new ProblemList();
  checkDag(pipeline, problems);
  return problems.items.map((p) => `${p.severity} ${p.keyPath}: ${p.message}`);
}

describe('checkDag', () => {
  it('accepts a DAG with parallel branches', () => {
    expect(check(pipelineOf({ a: [], b: [], c: ['a', 'b'], d: ['c'] }))).toEqual([]);
  });

  it.each([
    [
      'unknown upstream',
      pipelineOf({ a: ['ghost'] }),
      ['error blocks[0].upstream_blocks[0]: unknown block "ghost"; expected the uuid of a block of this pipeline'],
    ],
    [
      'self cycle',
      pipelineOf({ a: ['a'] }),
      ['error blocks: the blocks form a cycle: a → a; a pipeline must be a DAG'],
    ],
    [
      'longer cycle',
      pipelineOf({ a: ['c'], b: ['a'], c: ['b'] }),
      ['error blocks: the blocks form a cycle: a → b → c → a; a pipeline must be a DAG'],
    ],
  ])('%s', (_name, pipeline, expected) => {
    expect(check(pipeline)).toEqual(expected);
  });

  it('reports duplicate uuids', () => {
    const pipeline = pipelineOf({ a: [] });
    pipeline.blocks.push({ ...pipeline.blocks[0]!, keyPath: 'blocks[1]' });
    expect(check(pipeline)).toContain(
      'error blocks[1].uuid: duplicate block uuid "a"; block uuids must be unique in a pipeline',
    );
  });

  it('warns when downstream and upstream lists disagree', () => {
    const problems = check(pipelineOf({ a: [], b: ['a'], c: [] }, { a: ['c'], b: [], c: [] }));
    expect(problems).toEqual([
      'warning blocks[0].downstream_blocks[0]: "c" is listed downstream of "a" but does not list it in upstream_blocks (upstream_blocks decide the order)',
      'warning blocks[1].upstream_blocks: "a" is upstream of "b" but does not list it in downstream_blocks',
    ]);
  });
});

describe('topologicalOrder and upstreamMap', () => {
  it('puts upstreams first and keeps file order among ready blocks', () => {
    const pipeline = pipelineOf({ report: ['join'], load_b: [], join: ['load_a', 'load_b'], load_a: [] });
    expect(topologicalOrder(pipeline)).toEqual(['load_b', 'load_a', 'join', 'report']);
    expect(upstreamMap(pipeline)).toEqual({ report: ['join'], load_b: [], join: ['load_a', 'load_b'], load_a: [] });
  });

  it('throws on a cycle', () => {
    expect(() => topologicalOrder(pipelineOf({ a: ['b'], b: ['a'] }))).toThrow(/cycle/);
  });
});
