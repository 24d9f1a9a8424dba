/**
 * The soak's seeded plan: the pipelines (one DAG per run), when each run is submitted, which
 * blocks fail, what every block run must end as, and at which points of progress the watcher
 * and Redis are killed. Everything random comes from one seed, so a failing soak can be re-run.
 */
import { seededRandom } from '../../src/chaos/fault-plan.ts';

export type ExpectedBlockState = 'succeeded' | 'failed' | 'upstream_failed';
export type ExpectedRunState = 'succeeded' | 'failed';

export interface BlockPlan {
  uuid: string;
  upstream: string[];
  /** Simulated pod run time. */
  durationMs: number;
  /** Exits 1 on every attempt (the run then ends `failed`). */
  fails: boolean;
  /** Mage `retry_config.retries`: a failing block gets a second Job. */
  retries: number;
}

export interface RunPlan {
  index: number;
  /** Each run has a pipeline of its own, so runs differ in shape. */
  pipelineUuid: string;
  blocks: BlockPlan[];
  /** After the soak's start. */
  submitAtMs: number;
}

export interface SoakPlan {
  seed: number;
  runs: RunPlan[];
  /** Jobs the runs must create if nothing goes wrong: one per block that runs, one per attempt of a failing one. */
  expectedJobs: number;
  /** Fractions of `expectedJobs` created at which the acting watcher is killed. */
  watcherKillAt: number[];
  /** Fraction of `expectedJobs` created at which Redis is killed and restarted. */
  redisRestartAt: number;
  /** Picks the next dispatcher to kill, 0..count-1. */
  nextVictim(count: number): number;
}

export interface PlanOptions {
  seed: number;
  runs: number;
  blocks: number;
  watcherKills: number;
  /** How long the submissions are spread over. */
  submitSpreadMs: number;
  /** Share of runs that contain a failing block. */
  failingRunShare: number;
}

const MIN_DURATION_MS = 100;
const MAX_DURATION_MS = 1000;
/** Upstreams are picked among the last few blocks, which makes DAGs several levels deep. */
const UPSTREAM_WINDOW = 8;
const MAX_UPSTREAMS = 3;
const ROOT_SHARE = 0.15;
const FAILING_BLOCK_RETRIES = 1;

function blockUuid(index: number): string {
  return `b${String(index).padStart(3, '0')}`;
}

function planBlocks(count: number, random: () => number, failing: boolean): BlockPlan[] {
  const blocks: BlockPlan[] = [];
  for (let index = 0; index < count; index++) {
    const upstream = new Set<string>();
    if (index > 0 && random() >= ROOT_SHARE) {
      const wanted = 1 + Math.floor(random() * MAX_UPSTREAMS);
      const from = Math.max(0, index - UPSTREAM_WINDOW);
      for (let pick = 0; pick < wanted; pick++) upstream.add(blockUuid(from + Math.floor(random() * (index - from))));
    }
    const durationMs = MIN_DURATION_MS + Math.floor(random() * (MAX_DURATION_MS - MIN_DURATION_MS + 1));
    blocks.push({ uuid: blockUuid(index), upstream: [...upstream].sort(), durationMs, fails: false, retries: 0 });
  }
  if (failing && count > 0) {
    // In the first two thirds, so that it usually has descendants that must become upstream_failed.
    const victim = blocks[Math.floor(random() * Math.max(1, Math.ceil((count * 2) / 3)))] as BlockPlan;
    victim.fails = true;
    victim.retries = FAILING_BLOCK_RETRIES;
  }
  return blocks;
}

/** What each block run must end as: a failing block `failed`, everything downstream of it `upstream_failed`. */
export function expectedBlockStates(blocks: readonly BlockPlan[]): Map<string, ExpectedBlockState> {
  const states = new Map<string, ExpectedBlockState>();
  // Blocks are planned in topological order (upstreams always come earlier).
  for (const block of blocks) {
    const blocked = block.upstream.some((uuid) => states.get(uuid) !== 'succeeded');
    states.set(block.uuid, blocked ? 'upstream_failed' : block.fails ? 'failed' : 'succeeded');
  }
  return states;
}

export function expectedRunState(blocks: readonly BlockPlan[]): ExpectedRunState {
  return [...expectedBlockStates(blocks).values()].every((state) => state === 'succeeded') ? 'succeeded' : 'failed';
}

/**
 * Jobs a run creates when every attempt happens exactly once: one per block that runs. A block whose
 * pod exits 1 has one Job whatever its `retries`: Mage retries inside the pod, so kubedispatch does
 * not retry a pod that ran the block (the retry rule of docs/design.md).
 */
export function expectedJobCount(blocks: readonly BlockPlan[]): number {
  const states = expectedBlockStates(blocks);
  return blocks.filter((block) => states.get(block.uuid) !== 'upstream_failed').length;
}

/** Spreads `count` points over [from, to], each jittered within its own slot. */
function spread(count: number, from: number, to: number, random: () => number): number[] {
  const slot = (to - from) / Math.max(1, count);
  return Array.from({ length: count }, (_, index) => from + slot * (index + 0.2 + 0.6 * random()));
}

export function makePlan(options: PlanOptions): SoakPlan {
  const random = seededRandom(options.seed);
  const runCount = Math.max(1, Math.min(options.runs, options.blocks));
  const runs: RunPlan[] = [];
  for (let index = 0; index < runCount; index++) {
    // Blocks shared out evenly; the first runs take the remainder.
    const blocks = Math.floor(options.blocks / runCount) + (index < options.blocks % runCount ? 1 : 0);
    const failing = random() < options.failingRunShare;
    runs.push({
      index,
      pipelineUuid: `soak_${String(index).padStart(3, '0')}`,
      blocks: planBlocks(blocks, random, failing),
      submitAtMs: Math.round(index === 0 ? 0 : random() * options.submitSpreadMs),
    });
  }
  runs.sort((a, b) => a.submitAtMs - b.submitAtMs || a.index - b.index);
  const victims = seededRandom(options.seed ^ 0x5eed);
  return {
    seed: options.seed,
    runs,
    expectedJobs: runs.reduce((sum, run) => sum + expectedJobCount(run.blocks), 0),
    // Kept away from the very start and end, where a kill would test start-up or nothing.
    watcherKillAt: spread(options.watcherKills, 0.05, 0.9, random),
    redisRestartAt: 0.4 + 0.2 * random(),
    nextVictim: (count) => Math.floor(victims() * count),
  };
}
