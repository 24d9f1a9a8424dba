/**
 * kubedispatch's verdicts on the validation corpus (test/support/executor-config-corpus.ts) against the
 * verdict the Kubernetes sources give each value. The same corpus goes to the real API server in
 * test/cluster/validation-corpus.test.ts; this file keeps the rules checked in every `npm test`.
 */
import { describe, expect, it } from 'vitest';
import { corpus, corpusSeed, kubedispatchVerdict } from '../../support/executor-config-corpus.ts';

const seed = corpusSeed(process.env['KD_CORPUS_SEED']);

describe(`validate against the API server's rules (corpus seed ${seed}; replay with KD_CORPUS_SEED=${seed})`, () => {
  it('accepts exactly the values Kubernetes accepts, for every field kubedispatch renders', () => {
    const cases = corpus(seed, 80).filter((entry) => entry.intended !== undefined);
    const wrong = cases.flatMap((entry) => {
      const verdict = kubedispatchVerdict(entry.config, 'default');
      const said = verdict.accepted ? 'valid' : 'invalid';
      return said === entry.intended
        ? []
        : [
            {
              field: entry.field,
              config: JSON.stringify(entry.config).slice(0, 200),
              intended: entry.intended,
              said,
              problems: verdict.problems.map((p) => `${p.keyPath}: ${p.message}`),
            },
          ];
    });
    expect(wrong).toEqual([]);
  }, 120_000);
});
