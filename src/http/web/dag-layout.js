// @ts-check
// The layered layout of a run's DAG: which column (layer) each block is in and its order in the column.

/** Down-and-up sweeps of the barycenter heuristic; more rarely finds fewer crossings in pipelines this size. */
const SWEEPS = 6;

/**
 * @typedef {{ id: string, upstream: readonly string[] }} DagNode
 * @typedef {{ layers: string[][], edges: [string, string][], waypoints: string[][] }} DagLayout
 *   `layers` hold block ids and waypoint ids; `waypoints[i]` are the ids edge `edges[i]` passes through,
 *   one per layer it crosses (Sugiyama's dummy nodes), so long edges go around the blocks between.
 */

/**
 * At most this many waypoints in all, given to the shortest long edges first; the longest beyond it are
 * drawn straight across the layers between, behind the blocks. Without a cap a run whose every block also
 * depends on one root (a chain of n blocks: n²/2 waypoints) froze the page for seconds at 1,000 blocks.
 */
const WAYPOINT_BUDGET = 2000;

/** Waypoint ids start with a character no block name has. */
const WAYPOINT = '\u0000';

/** @param {string} id */
export function isWaypoint(id) {
  return id.startsWith(WAYPOINT);
}

/**
 * Layers by the longest path from the roots (a block sits one layer right of its deepest upstream
 * block), then the order within each layer by barycenter sweeps, keeping the ordering with the fewest
 * crossings. Upstream names that are no block of the run are ignored; a cycle (which Mage refuses)
 * ends up in one last layer rather than hanging the page.
 * @param {readonly DagNode[]} nodes
 * @returns {DagLayout}
 */
export function layeredLayout(nodes) {
  const ids = new Set(nodes.map((node) => node.id));
  /** @type {Map<string, string[]>} */
  const parents = new Map();
  /** @type {Map<string, string[]>} */
  const children = new Map(nodes.map((node) => [node.id, []]));
  /** @type {[string, string][]} */
  const edges = [];
  for (const node of nodes) {
    const known = [...new Set(node.upstream)].filter((id) => ids.has(id) && id !== node.id);
    parents.set(node.id, known);
    for (const parent of known) {
      children.get(parent)?.push(node.id);
      edges.push([parent, node.id]);
    }
  }
  const layerOf = longestPathLayers(nodes, parents, children);
  const depth = Math.max(-1, ...layerOf.values()) + 1;
  /** @type {string[][]} */
  const layers = Array.from({ length: depth }, () => []);
  for (const node of nodes) layers[layerOf.get(node.id) ?? 0]?.push(node.id);

  // Every edge as segments between adjacent layers, through one waypoint per layer it crosses.
  /** @type {Map<string, string[]>} */
  const before = new Map();
  /** @type {Map<string, string[]>} */
  const after = new Map();
  /** @type {[string, string][]} */
  const segments = [];
  const link = (/** @type {string} */ from, /** @type {string} */ to) => {
    before.set(to, [...(before.get(to) ?? []), from]);
    after.set(from, [...(after.get(from) ?? []), to]);
    segments.push([from, to]);
  };
  const routed = routedEdges(edges, layerOf);
  const waypoints = edges.map(([from, to], index) => {
    const points = [];
    let previous = from;
    const end = routed.has(index) ? (layerOf.get(to) ?? 0) : 0;
    for (let layer = (layerOf.get(from) ?? 0) + 1; layer < end; layer++) {
      const id = `${WAYPOINT}${index}:${layer}`;
      layerOf.set(id, layer);
      layers[layer]?.push(id);
      points.push(id);
      link(previous, id);
      previous = id;
    }
    link(previous, to);
    return points;
  });

  let best = layers.map((layer) => [...layer]);
  let fewest = crossings(best, segments, layerOf);
  let current = best;
  for (let sweep = 0; sweep < SWEEPS && fewest > 0; sweep++) {
    current = reorder(current, before, 1);
    current = reorder(current, after, -1);
    const count = crossings(current, segments, layerOf);
    if (count < fewest) {
      fewest = count;
      best = current.map((layer) => [...layer]);
    }
  }
  return { layers: best, edges, waypoints };
}

/**
 * The edges that get waypoints: the shortest first, while WAYPOINT_BUDGET lasts.
 * @param {readonly [string, string][]} edges
 * @param {Map<string, number>} layerOf
 * @returns {Set<number>} indexes into `edges`
 */
function routedEdges(edges, layerOf) {
  const crossed = edges.map(([from, to]) => Math.max(0, (layerOf.get(to) ?? 0) - (layerOf.get(from) ?? 0) - 1));
  const order = crossed.map((_, index) => index).sort((a, b) => (crossed[a] ?? 0) - (crossed[b] ?? 0) || a - b);
  const routed = new Set();
  let left = WAYPOINT_BUDGET;
  for (const index of order) {
    const needed = crossed[index] ?? 0;
    if (needed > left) break;
    left -= needed;
    routed.add(index);
  }
  return routed;
}

/**
 * @param {readonly DagNode[]} nodes
 * @param {Map<string, string[]>} parents
 * @param {Map<string, string[]>} children
 * @returns {Map<string, number>}
 */
function longestPathLayers(nodes, parents, children) {
  /** @type {Map<string, number>} */
  const layerOf = new Map();
  const waitingOn = new Map(nodes.map((node) => [node.id, parents.get(node.id)?.length ?? 0]));
  const ready = nodes.filter((node) => waitingOn.get(node.id) === 0).map((node) => node.id);
  for (const id of ready) layerOf.set(id, 0);
  // Kahn's order: every block is placed after all of its upstream blocks.
  for (let next = 0; next < ready.length; next++) {
    const id = /** @type {string} */ (ready[next]);
    for (const child of children.get(id) ?? []) {
      layerOf.set(child, Math.max(layerOf.get(child) ?? 0, (layerOf.get(id) ?? 0) + 1));
      const left = (waitingOn.get(child) ?? 0) - 1;
      waitingOn.set(child, left);
      if (left === 0) ready.push(child);
    }
  }
  const placed = new Set(ready);
  const last = Math.max(-1, ...layerOf.values()) + 1;
  for (const node of nodes) if (!placed.has(node.id)) layerOf.set(node.id, last);
  return layerOf;
}

/**
 * One sweep: each layer (left to right for `direction` 1, using upstream blocks; right to left for -1,
 * using downstream ones) sorted by the mean relative position of its neighbours; a block without
 * neighbours on that side keeps its place.
 * @param {string[][]} layers
 * @param {Map<string, string[]>} neighbours
 * @param {1 | -1} direction
 * @returns {string[][]}
 */
function reorder(layers, neighbours, direction) {
  const result = layers.map((layer) => [...layer]);
  /** @type {Map<string, number>} */
  const position = new Map();
  const place = (/** @type {string[]} */ layer) => {
    for (const [index, id] of layer.entries()) position.set(id, (index + 0.5) / layer.length);
  };
  for (const layer of result) place(layer);
  const order = direction === 1 ? result.map((_, index) => index) : result.map((_, index) => result.length - 1 - index);
  for (const index of order.slice(1)) {
    const layer = /** @type {string[]} */ (result[index]);
    const keyed = layer.map((id, at) => {
      const around = (neighbours.get(id) ?? []).map((other) => position.get(other) ?? 0);
      const key = around.length > 0 ? around.reduce((sum, value) => sum + value, 0) / around.length : position.get(id);
      return { id, key: key ?? 0, at };
    });
    keyed.sort((a, b) => a.key - b.key || a.at - b.at);
    result[index] = keyed.map((item) => item.id);
    place(/** @type {string[]} */ (result[index]));
  }
  return result;
}

/**
 * Pairs of segments between adjacent layers that cross (segments of edges within a layer or backwards,
 * which only a cycle has, are not counted).
 * @param {string[][]} layers
 * @param {[string, string][]} segments
 * @param {Map<string, number>} layerOf
 */
export function crossings(layers, segments, layerOf) {
  /** @type {Map<string, number>} */
  const index = new Map();
  for (const layer of layers) for (const [at, id] of layer.entries()) index.set(id, at);
  /** @type {Map<number, [number, number][]>} */
  const byLayer = new Map();
  for (const [from, to] of segments) {
    const layer = layerOf.get(from) ?? 0;
    if ((layerOf.get(to) ?? 0) !== layer + 1) continue;
    const list = byLayer.get(layer) ?? [];
    list.push([index.get(from) ?? 0, index.get(to) ?? 0]);
    byLayer.set(layer, list);
  }
  let count = 0;
  for (const list of byLayer.values()) {
    for (let a = 0; a < list.length; a++) {
      for (let b = a + 1; b < list.length; b++) {
        const [fromA, toA] = /** @type {[number, number]} */ (list[a]);
        const [fromB, toB] = /** @type {[number, number]} */ (list[b]);
        if ((fromA - fromB) * (toA - toB) < 0) count++;
      }
    }
  }
  return count;
}
