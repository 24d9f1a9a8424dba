import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script without type declarations
import { valuesTable, withTable } from '../../scripts/chart-values-table.mjs';

const doc = readFileSync(new URL('../../docs/deploying.md', import.meta.url), 'utf8');

describe('the values table of docs/deploying.md', () => {
  it("is the one generated from the chart's schema and defaults (node scripts/chart-values-table.mjs)", () => {
    expect(withTable(doc, valuesTable())).toBe(doc);
  });

  it("has a row for every value the chart's defaults set", () => {
    const table: string = valuesTable();
    for (const key of [
      'image.repository',
      'dispatcher.replicas',
      'watcher.maxSemiSpaceSizeMb',
      'dispatcher.maxOldSpaceSizeMb',
      'executor.k8sExecutorConfig',
      'keda.listLength',
    ]) {
      expect(table).toContain(`| \`${key}\` |`);
    }
  });
});
