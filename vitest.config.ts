import { defineConfig } from 'vitest/config';

// Tiers, each a vitest project (`vitest run --project NAME`; `npm run test:unit` is the inner loop):
// - unit: pure logic and single commands, seconds in all;
// - integration: real Redis, real HTTP, the simulated cluster, real processes;
// - contract: Kubernetes behaviour, against the simulation here and a real control plane in test:cluster;
// - e2e: the demo as a user runs it.
const tiers: Record<string, string[]> = {
  unit: ['test/unit/**/*.test.ts'],
  contract: ['test/contract/**/*.test.ts'],
  e2e: ['test/e2e/**/*.test.ts'],
};
const integration = ['test/**/*.test.ts'];
const notIntegration = [...Object.values(tiers).flat(), 'test/cluster/**'];

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      ...Object.entries(tiers).map(([name, include]) => ({ extends: true as const, test: { name, include } })),
      {
        extends: true as const,
        test: { name: 'integration', include: integration, exclude: [...notIntegration, 'node_modules/**'] },
      },
    ],
  },
});
