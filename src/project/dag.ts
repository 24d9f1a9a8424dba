import type { ProblemList } from '../errors/config-problem.ts';
import type { Pipeline } from './model.ts';

/** Each block's upstream blocks; `upstream_blocks` is what decides when a block may run. */
export function upstreamMap(pipeline: Pipeline): Record<string, string[]> {
  return Object.fromEntries(pipeline.blocks.map((block) => [block.uuid, [...block.upstreamBlocks]]));
}

/**
 * Blocks in an order where every block comes after its upstreams; among blocks that are ready at
 * the same time, file order is kept so the result is stable. Throws on a cycle (checkDag reports it).
 */
export function topologicalOrder(pipeline: Pipeline): string[] {
  const pending = new Map(pipeline.blocks.map((block) => [block.uuid, new Set(block.upstreamBlocks)]));
  const order: string[] = [];
  while (pending.size > 0) {
    const ready = [...pending.keys()].filter((uuid) => [...(pending.get(uuid) ?? [])].every((up) => !pending.has(up)));
    if (ready.length === 0)
      throw new Error(`pipeline ${pipeline.uuid} has a cycle among ${[...pending.keys()].join(', ')}`);
    for (const uuid of ready) {
      order.push(uuid);
      pending.delete(uuid);
    }
  }
  return order;
}

/**
 * Checks the graph of one pipeline: duplicate uuids, unknown upstreams and cycles are errors;
 * `downstream_blocks` that disagree with `upstream_blocks` are warnings, since only upstreams are used.
 */
export function checkDag(pipeline: Pipeline, problems: ProblemList): void {
  const file = pipeline.file;
  const seen = new Set<string>();
  for (const block of pipeline.blocks) {
    if (seen.has(block.uuid))
      problems.error(
        file,
        `${block.keyPath}.uuid`,
        `duplicate block uuid "${block.uuid}"; block uuids must be unique in a pipeline`,
      );
    seen.add(block.uuid);
  }
  const byUuid = new Map(pipeline.blocks.map((block) => [block.uuid, block]));
  for (const block of pipeline.blocks) {
    block.upstreamBlocks.forEach((upstream, index) => {
      if (!byUuid.has(upstream))
        problems.error(
          file,
          `${block.keyPath}.upstream_blocks[${index}]`,
          `unknown block "${upstream}"; expected the uuid of a block of this pipeline`,
        );
    });
    block.downstreamBlocks.forEach((downstream, index) => {
      const target = byUuid.get(downstream);
      if (!target)
        problems.warning(
          file,
          `${block.keyPath}.downstream_blocks[${index}]`,
          `unknown block "${downstream}" (ignored: upstream_blocks decide the order)`,
        );
      else if (!target.upstreamBlocks.includes(block.uuid)) {
        problems.warning(
          file,
          `${block.keyPath}.downstream_blocks[${index}]`,
          `"${downstream}" is listed downstream of "${block.uuid}" but does not list it in upstream_blocks (upstream_blocks decide the order)`,
        );
      }
    });
    for (const upstream of block.upstreamBlocks) {
      const source = byUuid.get(upstream);
      if (source && !source.downstreamBlocks.includes(block.uuid)) {
        problems.warning(
          file,
          `${block.keyPath}.upstream_blocks`,
          `"${upstream}" is upstream of "${block.uuid}" but does not list it in downstream_blocks`,
        );
      }
    }
  }
  const cycle = findCycle(pipeline);
  if (cycle) problems.error(file, 'blocks', `the blocks form a cycle: ${cycle.join(' → ')}; a pipeline must be a DAG`);
}

/** One cycle through known upstream edges, as a closed path, or undefined. */
function findCycle(pipeline: Pipeline): string[] | undefined {
  const upstreams = new Map(pipeline.blocks.map((block) => [block.uuid, block.upstreamBlocks]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (uuid: string): string[] | undefined => {
    if (state.get(uuid) === 'done' || !upstreams.has(uuid)) return undefined;
    if (state.get(uuid) === 'visiting') return [...stack.slice(stack.indexOf(uuid)), uuid];
    state.set(uuid, 'visiting');
    stack.push(uuid);
    for (const upstream of upstreams.get(uuid) ?? []) {
      const found = visit(upstream);
      if (found) return found;
    }
    stack.pop();
    state.set(uuid, 'done');
    return undefined;
  };
  for (const uuid of upstreams.keys()) {
    const found = visit(uuid);
    if (found) return found.reverse();
  }
  return undefined;
}
