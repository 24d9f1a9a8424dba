/**
 * `validate` against the real API server (npm run test:cluster): every case of the seeded corpus
 * (test/support/executor-config-corpus.ts) is judged by kubedispatch and, as the rendered Job, by the
 * API server through a server-side dry run (`dryRun=All`: validation and admission, nothing stored).
 * The verdicts must agree; a disagreement that is not a bug is listed in KNOWN with its entry in
 * DISAGREEMENTS.md.
 */
import { BatchV1Api, CoreV1Api, KubeConfig, type V1Job } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpus, corpusSeed, jobWith, kubedispatchVerdict } from '../support/executor-config-corpus.ts';

const kubeconfigPath = process.env['KUBEDISPATCH_CONTRACT_KUBECONFIG'];
const seed = corpusSeed(process.env['KD_CORPUS_SEED']);
const RANDOM_CASES = 150;

/** Fields where kubedispatch is stricter than the API server on purpose (see DISAGREEMENTS.md, "validate corpus"). */
const KNOWN: Readonly<Record<string, string>> = {
  'job.manualSelector':
    'kubedispatch lets Kubernetes generate Job selectors: a manual selector would have to match labels it owns',
};

async function apiVerdict(
  batch: BatchV1Api,
  namespace: string,
  job: V1Job,
): Promise<{ accepted: boolean; message: string }> {
  try {
    await batch.createNamespacedJob({ namespace, body: job, dryRun: 'All' });
    return { accepted: true, message: '' };
  } catch (thrown) {
    const code = (thrown as { code?: number }).code;
    const body = (thrown as { body?: unknown }).body;
    // 422 Invalid (validation) and 400 BadRequest (a value that does not decode, e.g. int32 overflow) are refusals.
    if (code === 422 || code === 400)
      return { accepted: false, message: String(typeof body === 'string' ? body : JSON.stringify(body)).slice(0, 300) };
    throw thrown;
  }
}

describe.skipIf(!kubeconfigPath)(
  `validate agrees with the API server (corpus seed ${seed}; replay with KD_CORPUS_SEED=${seed})`,
  () => {
    const namespace = `kd-corpus-${Date.now().toString(36)}`;
    const kc = new KubeConfig();
    let batch: BatchV1Api;

    beforeAll(async () => {
      kc.loadFromFile(kubeconfigPath!);
      await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
      batch = kc.makeApiClient(BatchV1Api);
    });
    afterAll(async () => {
      await kc
        .makeApiClient(CoreV1Api)
        .deleteNamespace({ name: namespace })
        .catch(() => undefined);
    });

    it('gives the same verdict on every case of the corpus', async () => {
      const base = kubedispatchVerdict({}, namespace).job;
      expect(base).toBeDefined();
      const disagreements: { field: string; config: string; kubedispatch: string; api: string }[] = [];
      const cases = corpus(seed, RANDOM_CASES);
      for (const entry of cases) {
        const ours = kubedispatchVerdict(entry.config, namespace);
        const theirs = await apiVerdict(batch, namespace, ours.job ?? jobWith(base!, entry.config));
        if (ours.accepted === theirs.accepted || KNOWN[entry.field]) continue;
        disagreements.push({
          field: entry.field,
          config: JSON.stringify(entry.config).slice(0, 200),
          kubedispatch: ours.accepted
            ? 'accepted'
            : `refused: ${ours.problems.map((p) => `${p.keyPath}: ${p.message}`).join('; ')}`,
          api: theirs.accepted ? 'accepted' : `refused: ${theirs.message}`,
        });
      }
      expect(disagreements).toEqual([]);
      expect(cases.length).toBeGreaterThanOrEqual(FIXED_MIN + RANDOM_CASES);
    });
  },
);

const FIXED_MIN = 100;
