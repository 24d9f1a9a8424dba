// @ts-check
// The run's DAG as SVG: drawn once per set of blocks, then only the blocks whose state changed are touched.
import { isWaypoint, layeredLayout } from './dag-layout.js';
import { lastAttempt, STATES } from './shared.js';

/** @typedef {import('./shared.js').BlockRun} BlockRun */

const SVG = 'http://www.w3.org/2000/svg';
/** @type {Readonly<Record<string, [number, number]>>} */
const ARROWS = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };
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
  const attempt = block.attempt > 1 ? ` · try ${block.attempt}/${lastAttempt(block)}` : '';
  return `${state.symbol} ${state.label}${attempt}`;
}

/** @param {BlockRun} block */
function accessibleName(block) {
  const state = STATES[block.state]?.label ?? block.state;
  const attempt = block.attempt > 1 ? `, attempt ${block.attempt} of ${lastAttempt(block)}` : '';
  return `${block.blockUuid}: ${state}${attempt}`;
}

/** What a node shows; when it is unchanged the node is not touched. @param {BlockRun} block */
function nodeSignature(block) {
  return `${block.state}|${block.attempt}|${lastAttempt(block)}`;
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
    /** The block Tab stops at. @type {string | undefined} */
    this.current = undefined;
    /** Blocks by column, top to bottom. @type {string[][]} */
    this.columns = [];
    /** @type {Map<string, { column: number, row: number }>} */
    this.places = new Map();
    svg.addEventListener('click', (event) => {
      const uuid = this.blockAt(event.target);
      if (uuid !== undefined) onOpen(uuid);
    });
    svg.addEventListener('keydown', (event) => {
      const uuid = this.blockAt(event.target);
      if (uuid === undefined) return;
      const step = ARROWS[event.key];
      if (event.key === 'Enter' || event.key === ' ') onOpen(uuid);
      else if (step) this.moveFocus(uuid, step);
      else return;
      event.preventDefault();
    });
  }

  /**
   * The arrow keys move between blocks (up and down in a column; left and right to the nearest block of
   * the next column), so that Tab enters and leaves the DAG in one step however many blocks it has.
   * @param {string} from
   * @param {[number, number]} step columns and rows to move
   */
  moveFocus(from, [columns, rows]) {
    const place = this.places.get(from);
    if (!place) return;
    const column = this.columns[place.column + columns];
    if (!column || column.length === 0) return;
    const row =
      columns === 0
        ? Math.min(Math.max(place.row + rows, 0), column.length - 1)
        : Math.min(
            Math.round(((place.row + 0.5) / (this.columns[place.column]?.length ?? 1)) * column.length - 0.5),
            column.length - 1,
          );
    const target = column[Math.max(row, 0)];
    if (target !== undefined) this.makeCurrent(target, true);
  }

  /**
   * The one block Tab stops at (roving tabindex).
   * @param {string} blockUuid
   * @param {boolean} focus
   */
  makeCurrent(blockUuid, focus) {
    const next = this.nodes.get(blockUuid)?.group;
    if (!next) return;
    if (this.current !== undefined) this.nodes.get(this.current)?.group.setAttribute('tabindex', '-1');
    next.setAttribute('tabindex', '0');
    this.current = blockUuid;
    if (focus) /** @type {SVGGElement} */ (next).focus();
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
        tabindex: -1,
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
    this.columns = layers.map((layer) => layer.filter((id) => !isWaypoint(id)));
    this.places = new Map(
      this.columns.flatMap((column, index) => column.map((id, row) => [id, { column: index, row }])),
    );
    this.current = undefined;
    const first = this.selected !== undefined && this.nodes.has(this.selected) ? this.selected : this.columns[0]?.[0];
    if (first !== undefined) this.makeCurrent(first, false);
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
    if (blockUuid !== undefined && now) this.makeCurrent(blockUuid, false);
  }
}
