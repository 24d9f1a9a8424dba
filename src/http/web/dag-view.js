// @ts-check
// The run's DAG as SVG: drawn once per set of blocks, then only the blocks whose state changed are touched.
import { isWaypoint, layeredLayout } from './dag-layout.js';
import { STATES } from './shared.js';

/** @typedef {import('./shared.js').BlockRun} BlockRun */

const SVG = 'http://www.w3.org/2000/svg';
const NODE_WIDTH = 176;
const NODE_HEIGHT = 50;
const LAYER_GAP = 56;
const ROW_GAP = 16;
const MARGIN = 12;
/** Height a long edge takes where it crosses a layer. */
const WAYPOINT_SLOT = 14;
/** Longer names are cut (the whole name is in the node's label, its tooltip and the table). */
const NAME_CHARACTERS = 22;

/**
 * @param {string} tag
 * @param {Record<string, string | number>} [attributes]
 * @returns {SVGElement}
 */
function svgElement(tag, attributes = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return /** @type {SVGElement} */ (node);
}

/** @param {BlockRun} block */
function stateLine(block) {
  const state = STATES[block.state] ?? { label: block.state, symbol: '?' };
  const attempt = block.attempt > 1 ? ` · try ${block.attempt}/${block.maxAttempts}` : '';
  return `${state.symbol} ${state.label}${attempt}`;
}

/** @param {BlockRun} block */
function accessibleName(block) {
  const state = STATES[block.state]?.label ?? block.state;
  const attempt = block.attempt > 1 ? `, attempt ${block.attempt} of ${block.maxAttempts}` : '';
  return `${block.blockUuid}: ${state}${attempt}`;
}

/** What a node shows; when it is unchanged the node is not touched. @param {BlockRun} block */
function nodeSignature(block) {
  return `${block.state}|${block.attempt}|${block.maxAttempts}`;
}

/** Which blocks there are and how they depend on each other; only a change of this lays the DAG out again. */
function structureKey(/** @type {readonly BlockRun[]} */ blocks) {
  return blocks.map((block) => `${block.blockUuid}<${block.upstream.join(',')}`).join('\n');
}

/**
 * @typedef {{ group: SVGElement, stateText: SVGElement, signature: string }} DrawnNode
 */

export class DagView {
  /**
   * @param {SVGSVGElement} svg
   * @param {(blockUuid: string) => void} onOpen called when a block is clicked or Enter/Space is pressed on it
   */
  constructor(svg, onOpen) {
    this.svg = svg;
    this.onOpen = onOpen;
    /** @type {Map<string, DrawnNode>} */
    this.nodes = new Map();
    this.structure = '';
    /** @type {string | undefined} */
    this.selected = undefined;
    svg.addEventListener('click', (event) => {
      const uuid = this.blockAt(event.target);
      if (uuid !== undefined) onOpen(uuid);
    });
    svg.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter' && event.key !== ' ') return;
      const uuid = this.blockAt(event.target);
      if (uuid === undefined) return;
      event.preventDefault();
      onOpen(uuid);
    });
  }

  /** @param {EventTarget | null} target */
  blockAt(target) {
    const group = target instanceof Element ? target.closest('[data-block]') : null;
    return group?.getAttribute('data-block') ?? undefined;
  }

  /**
   * Shows the blocks: lays out and draws everything when the set of blocks (or their upstream) changed,
   * else updates the nodes whose state changed. Each pass is measured (`dag-render`, `dag-update`).
   * @param {readonly BlockRun[]} blocks
   */
  show(blocks) {
    const structure = structureKey(blocks);
    const kind = structure === this.structure ? 'dag-update' : 'dag-render';
    const started = performance.now();
    if (kind === 'dag-render') this.draw(blocks, structure);
    else this.update(blocks);
    performance.measure(kind, { start: started, end: performance.now() });
  }

  /**
   * @param {readonly BlockRun[]} blocks
   * @param {string} structure
   */
  draw(blocks, structure) {
    const { layers, edges, waypoints } = layeredLayout(
      blocks.map((block) => ({ id: block.blockUuid, upstream: block.upstream })),
    );
    const slot = (/** @type {string} */ id) => (isWaypoint(id) ? WAYPOINT_SLOT : NODE_HEIGHT + ROW_GAP);
    const heights = layers.map((layer) => layer.reduce((sum, id) => sum + slot(id), 0));
    const tallest = Math.max(NODE_HEIGHT + ROW_GAP, ...heights);
    /** Where each block's box starts, and the middle line of each block and waypoint. */
    /** @type {Map<string, { x: number, y: number, middle: number }>} */
    const at = new Map();
    layers.forEach((layer, column) => {
      let y = MARGIN + (tallest - (heights[column] ?? 0)) / 2;
      for (const id of layer) {
        const middle = isWaypoint(id) ? y + WAYPOINT_SLOT / 2 : y + NODE_HEIGHT / 2;
        at.set(id, { x: MARGIN + column * (NODE_WIDTH + LAYER_GAP), y, middle });
        y += slot(id);
      }
    });
    const width = MARGIN * 2 + layers.length * NODE_WIDTH + Math.max(0, layers.length - 1) * LAYER_GAP;
    const height = MARGIN * 2 + tallest - ROW_GAP;
    this.svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    this.svg.setAttribute('width', String(width));
    this.svg.setAttribute('height', String(height));

    const defs = svgElement('defs');
    const marker = svgElement('marker', {
      id: 'arrow',
      viewBox: '0 0 10 10',
      refX: 9,
      refY: 5,
      markerWidth: 7,
      markerHeight: 7,
      orient: 'auto-start-reverse',
    });
    marker.append(svgElement('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow-head' }));
    const hatch = svgElement('pattern', {
      id: 'hatch',
      width: 8,
      height: 8,
      patternUnits: 'userSpaceOnUse',
      patternTransform: 'rotate(45)',
    });
    hatch.append(svgElement('line', { x1: 0, y1: 0, x2: 0, y2: 8, class: 'hatch-line' }));
    defs.append(marker, hatch);

    const edgeGroup = svgElement('g', { class: 'edges', 'aria-hidden': 'true' });
    edges.forEach(([from, to], index) => {
      const points = [from, ...(waypoints[index] ?? []), to].map((id) => at.get(id));
      if (points.some((point) => point === undefined)) return;
      const [start, ...rest] =
        /** @type {[{ x: number, y: number, middle: number }, ...{ x: number, y: number, middle: number }[]]} */ (
          points
        );
      // Out of the right side of a box, across each crossed layer at its waypoint, into the left side.
      let x = start.x + NODE_WIDTH;
      let y = start.middle;
      let d = `M ${x} ${y}`;
      rest.forEach((point, step) => {
        const last = step === rest.length - 1;
        const x2 = last ? point.x - 2 : point.x;
        const bend = Math.max(16, (x2 - x) / 2);
        d += ` C ${x + bend} ${y}, ${x2 - bend} ${point.middle}, ${x2} ${point.middle}`;
        x = last ? x2 : point.x + NODE_WIDTH;
        y = point.middle;
        if (!last) d += ` L ${x} ${y}`;
      });
      edgeGroup.append(svgElement('path', { d, class: 'edge', 'marker-end': 'url(#arrow)' }));
    });

    const nodeGroup = svgElement('g', { class: 'nodes' });
    this.nodes.clear();
    const byId = new Map(blocks.map((block) => [block.blockUuid, block]));
    // Document order is the Tab order: column by column, top to bottom.
    for (const id of layers.flat().filter((id) => !isWaypoint(id))) {
      const block = byId.get(id);
      const place = at.get(id);
      if (!block || !place) continue;
      const group = svgElement('g', {
        class: `node state-${block.state}`,
        transform: `translate(${place.x} ${place.y})`,
        tabindex: 0,
        role: 'button',
        'data-block': id,
        'aria-label': accessibleName(block),
        'aria-controls': 'block-details',
        'aria-expanded': id === this.selected ? 'true' : 'false',
      });
      const title = svgElement('title');
      title.textContent = accessibleName(block);
      const name = svgElement('text', { x: 12, y: 20, class: 'node-name' });
      name.textContent = id.length > NAME_CHARACTERS ? `${id.slice(0, NAME_CHARACTERS - 1)}…` : id;
      const stateText = svgElement('text', { x: 12, y: 39, class: 'node-state' });
      stateText.textContent = stateLine(block);
      group.append(
        title,
        svgElement('rect', { class: 'node-box', width: NODE_WIDTH, height: NODE_HEIGHT, rx: 6 }),
        svgElement('rect', { class: 'node-pattern', width: NODE_WIDTH, height: NODE_HEIGHT, rx: 6 }),
        svgElement('rect', {
          class: 'node-focus',
          x: -4,
          y: -4,
          width: NODE_WIDTH + 8,
          height: NODE_HEIGHT + 8,
          rx: 9,
        }),
        name,
        stateText,
      );
      if (id === this.selected) group.classList.add('selected');
      nodeGroup.append(group);
      this.nodes.set(id, { group, stateText, signature: nodeSignature(block) });
    }
    this.svg.replaceChildren(defs, edgeGroup, nodeGroup);
    this.svg.setAttribute('aria-label', `DAG of ${blocks.length} blocks in ${layers.length} layers`);
    this.structure = structure;
  }

  /** @param {readonly BlockRun[]} blocks */
  update(blocks) {
    for (const block of blocks) {
      const drawn = this.nodes.get(block.blockUuid);
      const signature = nodeSignature(block);
      if (!drawn || drawn.signature === signature) continue;
      drawn.signature = signature;
      drawn.group.setAttribute(
        'class',
        `node state-${block.state}${block.blockUuid === this.selected ? ' selected' : ''}`,
      );
      drawn.group.setAttribute('aria-label', accessibleName(block));
      const title = drawn.group.querySelector('title');
      if (title) title.textContent = accessibleName(block);
      drawn.stateText.textContent = stateLine(block);
    }
  }

  /** Marks the block whose details are shown. @param {string | undefined} blockUuid */
  select(blockUuid) {
    const before = this.selected === undefined ? undefined : this.nodes.get(this.selected)?.group;
    before?.classList.remove('selected');
    before?.setAttribute('aria-expanded', 'false');
    this.selected = blockUuid;
    const now = blockUuid === undefined ? undefined : this.nodes.get(blockUuid)?.group;
    now?.classList.add('selected');
    now?.setAttribute('aria-expanded', 'true');
  }
}
