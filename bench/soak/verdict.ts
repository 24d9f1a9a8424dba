/**
 * The soak's verdict: the figures of a finished soak and the invariants that failed, from the
 * plan (what every run must end as), kubedispatch's final run records (read through its HTTP API)
 * and the recording proxy's ledger of Jobs (what the cluster was really asked to create).
 */
import type { BlockRunRecord, RunWithBlocks } from '../../src/runs/types.ts';
import { identityLabels } from '../../src/render/identity.ts';
import { identityKey, type JobLedger } from './job-ledger.ts';
import { expectedBlockStates, expectedJobCount, expectedRunState, type RunPlan } from './plan.ts';

export interface SoakRun {
  plan: RunPlan;
  /** The id the HTTP API answered with; unset when the run could not be created. */
  id?: string;
  submitError?: string;
  /** The final record; null when the API answered 404 (the run is gone). */
  record?: RunWithBlocks | null;
}

export interface Figures {
  runsPlanned: number;
  runsSubmitted: number;
  runsAsExpected: number;
  runsNotAsExpected: number;
  runsLost: number;
  blockRunsPlanned: number;
  blockRunsAsExpected: number;
  blockRunsWrong: number;
  blockRunsLost: number;
  jobsExpected: number;
  jobsCreated: number;
  duplicateJobsByName: number;
  duplicateJobsByAttempt: number;
  jobsOfNoKnownAttempt: number;
  outcomesWithoutJob: number;
  attemptsWithoutJobName: number;
  jobsLeftInCluster: number;
}

export interface Verdict {
  figures: Figures;
  /** One line per broken invariant, with enough detail to start looking. */
  failures: string[];
}

const TERMINAL_RUN = new Set(['succeeded', 'failed', 'cancelled']);
const TERMINAL_BLOCK = new Set(['succeeded', 'failed', 'upstream_failed', 'cancelled']);
const MAX_LISTED = 10;

function listed(items: string[]): string {
  return items.length <= MAX_LISTED
    ? items.join('; ')
    : `${items.slice(0, MAX_LISTED).join('; ')}; … (${items.length - MAX_LISTED} more)`;
}

/**
 * `queuePrefix` is the installation's: an attempt its record does not name a Job for is matched to
 * the Job carrying its identity labels.
 */
export function judge(runs: readonly SoakRun[], ledger: JobLedger, queuePrefix: string): Verdict {
  const failures: string[] = [];
  const lostRuns: string[] = [];
  const wrongRuns: string[] = [];
  const wrongBlocks: string[] = [];
  const lostBlocks: string[] = [];
  const withoutJob: string[] = [];
  let runsAsExpected = 0;
  let blockRunsAsExpected = 0;
  const byName = new Map(ledger.creations().map((creation) => [`${creation.namespace}/${creation.name}`, creation]));
  const byIdentity = new Map(ledger.creations().map((creation) => [creation.identity, creation]));
  const knownAttempts = new Set<string>();
  const unnamed: string[] = [];

  for (const run of runs) {
    const label = `run #${run.plan.index} (${run.plan.pipelineUuid}${run.id ? `, id ${run.id}` : ''})`;
    const expected = expectedBlockStates(run.plan.blocks);
    const record = run.record ?? undefined;
    const byUuid = new Map<string, BlockRunRecord>((record?.blocks ?? []).map((block) => [block.blockUuid, block]));
    let blocksOk = true;
    for (const block of run.plan.blocks) {
      const actual = byUuid.get(block.uuid);
      for (const attempt of actual?.attempts ?? []) {
        const identity = identityKey(
          identityLabels(queuePrefix, record?.pipelineUuid ?? '', block.uuid, {
            pipelineRunId: record?.id ?? 0,
            blockRunId: actual?.blockRunId ?? 0,
            attempt: attempt.attempt,
            trigger: record?.trigger ?? '',
          }),
        );
        const name = attempt.jobName ? `${attempt.namespace ?? ''}/${attempt.jobName}` : undefined;
        const creation = name ? byName.get(name) : byIdentity.get(identity);
        if (!name && attempt.outcome) unnamed.push(`${label} ${block.uuid} attempt ${attempt.attempt}`);
        if (creation) knownAttempts.add(`${creation.namespace}/${creation.name}`);
        // An outcome the watcher decided from a Job nobody created would be a false result.
        if (attempt.outcome && attempt.outcome.reason !== 'Cancelled' && !creation)
          withoutJob.push(
            `${label} ${block.uuid} attempt ${attempt.attempt} (${attempt.outcome.reason}, Job ${name ?? 'not named'})`,
          );
      }
      if (!actual || !TERMINAL_BLOCK.has(actual.state)) {
        blocksOk = false;
        lostBlocks.push(
          `${label} ${block.uuid}: ${actual ? `still ${actual.state} (attempt ${actual.attempt})` : 'missing'}`,
        );
      } else if (actual.state !== expected.get(block.uuid)) {
        blocksOk = false;
        wrongBlocks.push(
          `${label} ${block.uuid}: ${actual.state} (${actual.reason ?? 'no reason'}), expected ${expected.get(block.uuid)}`,
        );
      } else {
        blockRunsAsExpected++;
      }
    }
    if (!record || !TERMINAL_RUN.has(record.state)) {
      lostRuns.push(
        `${label}: ${run.submitError ? `not created (${run.submitError})` : record === undefined && run.record === null ? 'gone (404)' : record ? `still ${record.state}` : 'never read'}`,
      );
    } else if (record.state !== expectedRunState(run.plan.blocks) || !blocksOk) {
      wrongRuns.push(`${label}: ${record.state}, expected ${expectedRunState(run.plan.blocks)}`);
    } else {
      runsAsExpected++;
    }
  }

  const duplicates = ledger.duplicates();
  const orphans = ledger.creations().filter((creation) => !knownAttempts.has(`${creation.namespace}/${creation.name}`));
  const figures: Figures = {
    runsPlanned: runs.length,
    runsSubmitted: runs.filter((run) => run.id !== undefined).length,
    runsAsExpected,
    runsNotAsExpected: wrongRuns.length,
    runsLost: lostRuns.length,
    blockRunsPlanned: runs.reduce((sum, run) => sum + run.plan.blocks.length, 0),
    blockRunsAsExpected,
    blockRunsWrong: wrongBlocks.length,
    blockRunsLost: lostBlocks.length,
    jobsExpected: runs.reduce((sum, run) => sum + expectedJobCount(run.plan.blocks), 0),
    jobsCreated: ledger.creations().length,
    duplicateJobsByName: duplicates.filter((duplicate) => duplicate.kind === 'name').length,
    duplicateJobsByAttempt: duplicates.filter((duplicate) => duplicate.kind === 'identity').length,
    jobsOfNoKnownAttempt: orphans.length,
    outcomesWithoutJob: withoutJob.length,
    attemptsWithoutJobName: unnamed.length,
    jobsLeftInCluster: ledger.remaining().length,
  };

  if (lostRuns.length > 0) failures.push(`${lostRuns.length} run(s) lost or unfinished: ${listed(lostRuns)}`);
  if (wrongRuns.length > 0) failures.push(`${wrongRuns.length} run(s) did not end as expected: ${listed(wrongRuns)}`);
  if (lostBlocks.length > 0)
    failures.push(`${lostBlocks.length} block run(s) lost or unfinished: ${listed(lostBlocks)}`);
  if (wrongBlocks.length > 0) failures.push(`${wrongBlocks.length} block run(s) ended wrong: ${listed(wrongBlocks)}`);
  if (duplicates.length > 0)
    failures.push(
      `${duplicates.length} Job(s) created twice: ${listed(duplicates.map((d) => `${d.kind} ${d.key} (uids ${d.uids.join(', ')})`))}`,
    );
  if (orphans.length > 0)
    failures.push(
      `${orphans.length} Job(s) created for no attempt of any run: ${listed(orphans.map((o) => `${o.namespace}/${o.name}`))}`,
    );
  if (withoutJob.length > 0)
    failures.push(`${withoutJob.length} outcome(s) recorded for a Job never created: ${listed(withoutJob)}`);
  if (figures.jobsCreated !== figures.jobsExpected && failures.length === 0) {
    failures.push(
      `${figures.jobsCreated} Jobs created where the plan needs ${figures.jobsExpected}, with no duplicate or orphan to explain it`,
    );
  }
  if (figures.jobsLeftInCluster > 0)
    failures.push(
      `${figures.jobsLeftInCluster} Job(s) never deleted: ${listed(ledger.remaining().map((job) => `${job.namespace}/${job.name}`))}`,
    );
  return { figures, failures };
}
