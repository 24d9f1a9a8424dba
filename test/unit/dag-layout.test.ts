import { describe, expect, it } from 'vitest';
// @ts-expect-error: a browser ES module (checked by src/http/web/tsconfig.json), without declarations for Node's program
import { crossings, isWaypoint, layeredLayout } from '../../src/http/web/dag-layout.js';

interface Layout {
  layers: string[][];
  edges: [string, string][];
  waypoints: string[][];
}
const layout = layeredLayout as (nodes: { id: string; upstream: string[] }[]) => Layout;
const countCrossings = crossings as (
  layers: string[][],
  edges: [string, string][],
  layerOf: Map<string, number>,
) => number;

const waypoint = isWaypoint as (id: string) => boolean;

function layerOf(result: Layout): Map<string, number> {
  return new Map(result.layers.flatMap((layer, index) => layer.map((id) => [id, index] as const)));
}

/** The blocks' layers, without the waypoints of long edges. */
function blockLayers(result: Layout): Record<string, number> {
  return Object.fromEntries([...layerOf(result)].filter(([id]) => !waypoint(id)));
}

describe('the layered layout of a run page DAG', () => {
  it('puts each block one layer after its deepest upstream block (longest path from the roots)', () => {
    const result = layout([
      { id: 'a', upstream: [] },
      { id: 'b', upstream: ['a'] },
      { id: 'c', upstream: ['b'] },
      { id: 'd', upstream: ['a', 'c'] },
      { id: 'e', upstream: [] },
    ]);
    expect(blockLayers(result)).toEqual({ a: 0, e: 0, b: 1, c: 2, d: 3 });
    expect(result.edges).toHaveLength(4);
    // a→d crosses layers 1 and 2: one waypoint in each, so it is drawn around b and c.
    const long = result.edges.findIndex(([from, to]) => from === 'a' && to === 'd');
    expect(result.waypoints[long]!.map((id) => layerOf(result).get(id))).toEqual([1, 2]);
    expect(result.waypoints.filter((points) => points.length > 0)).toHaveLength(1);
  });

  it('orders layers so that edges between them do not cross when they need not', () => {
    // Written in an order that crosses every edge: x1→y2, x2→y1.
    const result = layout([
      { id: 'x1', upstream: [] },
      { id: 'x2', upstream: [] },
      { id: 'y2', upstream: ['x1'] },
      { id: 'y1', upstream: ['x2'] },
      { id: 'z1', upstream: ['y1'] },
      { id: 'z2', upstream: ['y2'] },
    ]);
    expect(countCrossings(result.layers, result.edges, layerOf(result))).toBe(0);
    expect(result.layers.flat().sort()).toEqual(['x1', 'x2', 'y1', 'y2', 'z1', 'z2']);
  });

  it('caps the waypoints of long edges, shortest edges first, when every block of a long chain also hangs off the root', () => {
    // 1,000 blocks: b0 → b1 → … → b999, and b0 → each of them. Uncapped, that was 498,501 waypoints (seconds of layout).
    const nodes = Array.from({ length: 1000 }, (_, index) => ({
      id: `b${index}`,
      upstream: index === 0 ? [] : [...new Set([`b${index - 1}`, 'b0'])],
    }));
    const result = layout(nodes);
    expect(result.edges).toHaveLength(1997);
    expect(blockLayers(result)['b999']).toBe(999);
    const routed = result.waypoints.map((points) => points.length);
    expect(routed.reduce((sum, count) => sum + count, 0)).toBeLessThanOrEqual(2000);
    // b0 → b2 crosses one layer and is routed around b1; the longest edge, b0 → b999, is drawn straight.
    const edgeTo = (to: string) => result.edges.findIndex(([from, target]) => from === 'b0' && target === to);
    expect(routed[edgeTo('b2')]).toBe(1);
    expect(routed[edgeTo('b999')]).toBe(0);
  });

  it('ignores upstream names that are no block, and places a cycle instead of hanging', () => {
    const result = layout([
      { id: 'a', upstream: ['ghost', 'a'] },
      { id: 'b', upstream: ['c'] },
      { id: 'c', upstream: ['b'] },
    ]);
    expect(result.layers).toEqual([['a'], ['b', 'c']]);
    expect(result.waypoints).toEqual([[], []]);
    expect(result.edges).toEqual([
      ['c', 'b'],
      ['b', 'c'],
    ]);
  });
});
