import { describeType, isPlainObject } from '../input/input-shape.ts';
import type { PlainObject } from '../input/input-shape.ts';
import type { FieldReader } from './mage-fields.ts';

/**
 * Which entries of a Mage pipeline become block runs, and which pipeline and block kinds
 * kubedispatch refuses because Mage runs them in a way its Jobs cannot reproduce (facts §5, §6).
 */

/** `NON_PIPELINE_EXECUTABLE_BLOCK_TYPES` in Mage: listed under `blocks:` but never given a block run. */
export const NON_EXECUTABLE_BLOCK_TYPES: ReadonlySet<string> = new Set(['chart', 'markdown', 'scratchpad']);

/** Pipeline sections whose blocks run inside another block's pod (or not at all), never as block runs. */
const IN_POD_SECTIONS = ['callbacks', 'conditionals', 'widgets'] as const;

export interface InPodBlock {
  upstreamBlocks: string[];
}

const WHAT_TO_DO_UNDER_MAGE = "run this pipeline with Mage's own scheduler";

/** Errors for pipeline kinds kubedispatch cannot run as one Job per block. */
export function checkPipelineKind(reader: FieldReader, document: PlainObject, uuid: string): void {
  const type = document['type'];
  if (type === 'integration') {
    reader.problems.error(
      reader.file,
      'type',
      `pipeline "${uuid}" is a data-integration pipeline (type: integration), which kubedispatch cannot run: Mage's scheduler splits its blocks into one block run per stream (<block>:<stream>:<index>) with per-stream settings and state kept in Mage's database, which kubedispatch's Jobs do not have; ${WHAT_TO_DO_UNDER_MAGE}, or rebuild it as a standard (type: python) pipeline of data loader and exporter blocks`,
    );
  } else if (type === 'streaming') {
    reader.problems.error(
      reader.file,
      'type',
      `pipeline "${uuid}" is a streaming pipeline (type: streaming), which kubedispatch cannot run: Mage runs it as long-lived processes (executor_count of them), not as block runs that finish, and kubedispatch runs blocks as batch Jobs; ${WHAT_TO_DO_UNDER_MAGE} (its streaming executor)`,
    );
  }
  if (document['run_pipeline_in_one_process'] === true) {
    reader.problems.error(
      reader.file,
      'run_pipeline_in_one_process',
      `pipeline "${uuid}" sets run_pipeline_in_one_process: true, which kubedispatch cannot honour: Mage then runs the whole pipeline as one process that loops over the block runs in Mage's database (which the Job would not have), while kubedispatch runs every block as its own Job; remove the key (or set it to false) to run one Job per block, with outputs shared through the variables directory (docs/mage-compatibility.md), or ${WHAT_TO_DO_UNDER_MAGE}`,
    );
  }
}

/** Errors for block kinds whose runs Mage creates from its database at run time (dynamic fan-out and fan-in). */
export function checkBlockKind(reader: FieldReader, raw: PlainObject, uuid: string, path: string): void {
  const configuration = isPlainObject(raw['configuration']) ? raw['configuration'] : {};
  const dynamic = configuration['dynamic'];
  if (dynamic === true || (isPlainObject(dynamic) && Object.values(dynamic).some(Boolean))) {
    reader.problems.error(
      reader.file,
      `${path}.configuration.dynamic`,
      `block "${uuid}" is a dynamic block, which kubedispatch cannot run: Mage creates one run of each downstream block per item it returns, and gives each its item, from block runs it records in Mage's database at run time (which kubedispatch's Jobs do not have), so its children would run once on the whole output instead; ${WHAT_TO_DO_UNDER_MAGE}, or remove configuration.dynamic and loop over the items inside the downstream block`,
    );
  }
  if (configuration['reduce_output'] === true) {
    reader.problems.error(
      reader.file,
      `${path}.configuration.reduce_output`,
      `block "${uuid}" sets reduce_output, which kubedispatch cannot run: Mage gathers the outputs of the dynamic child runs it recorded in Mage's database into one list for the downstream blocks, and kubedispatch's Jobs have no such database; ${WHAT_TO_DO_UNDER_MAGE}, or remove reduce_output together with the dynamic block above it`,
    );
  }
}

/**
 * The blocks of `callbacks:`, `conditionals:`, `widgets:` and `extensions:` by uuid: they run inside
 * the pod of the block they belong to (or, for widgets, not at all), so they are never block runs.
 */
export function inPodBlocks(reader: FieldReader, document: PlainObject): Map<string, InPodBlock> {
  const found = new Map<string, InPodBlock>();
  const collect = (list: unknown, path: string): void => {
    if (list === null || list === undefined) return;
    if (!Array.isArray(list)) {
      reader.problems.error(reader.file, path, `expected a list of blocks, got ${describeType(list)}`);
      return;
    }
    for (const entry of list) {
      if (!isPlainObject(entry) || typeof entry['uuid'] !== 'string') continue;
      const upstream = Array.isArray(entry['upstream_blocks'])
        ? entry['upstream_blocks'].filter((item): item is string => typeof item === 'string')
        : [];
      found.set(entry['uuid'], { upstreamBlocks: upstream });
    }
  };
  for (const section of IN_POD_SECTIONS) collect(document[section], section);
  const extensions = document['extensions'];
  if (isPlainObject(extensions)) {
    for (const [name, extension] of Object.entries(extensions)) {
      if (isPlainObject(extension)) collect(extension['blocks'], `extensions.${name}.blocks`);
    }
  }
  return found;
}

/**
 * A block's upstreams with in-pod blocks replaced by their own upstreams (so a block placed after a
 * callback still waits for the block the callback belongs to) and the block itself left out.
 */
export function upstreamsThroughInPodBlocks(
  upstreams: readonly string[],
  self: string,
  inPod: ReadonlyMap<string, InPodBlock>,
): string[] {
  const result: string[] = [];
  const seen = new Set<string>();
  const visit = (uuid: string): void => {
    if (seen.has(uuid)) return;
    seen.add(uuid);
    const side = inPod.get(uuid);
    if (side) side.upstreamBlocks.forEach(visit);
    else if (uuid !== self && !result.includes(uuid)) result.push(uuid);
  };
  upstreams.forEach(visit);
  return result;
}
