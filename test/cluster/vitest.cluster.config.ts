import { defineConfig } from 'vitest/config';

// Used only by `npm run test:cluster` (test/cluster/run-tests.sh), which starts a real control plane
// and sets KUBEDISPATCH_CONTRACT_KUBECONFIG: the contract suite (same files as `npm test` runs against
// the simulation) plus the real-cluster-only tests in test/cluster/.
export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    include: ['test/contract/**/*.test.ts', 'test/cluster/**/*.test.ts'],
    exclude: ['node_modules/**'],
    // Real Job controller back-off (10s, 20s, ...) and the TTL/GC controllers take real time.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // One small control plane on 2 cores: do not flood it from several workers at once.
    fileParallelism: false,
  },
});
