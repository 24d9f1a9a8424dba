import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';

const ROOT = new URL('../../', import.meta.url);

/**
 * The Node flags of the image's entry point (`node <flags> src/cli/main.ts`), which every
 * process started from the image runs with: the Dockerfile is their one home.
 */
export function imageNodeFlags(): string[] {
  const dockerfile = readFileSync(new URL('Dockerfile', ROOT), 'utf8');
  const line = dockerfile.split('\n').find((text) => text.startsWith('ENTRYPOINT '));
  const entrypoint: unknown = line ? JSON.parse(line.slice('ENTRYPOINT '.length)) : undefined;
  if (!Array.isArray(entrypoint)) throw new Error('Dockerfile: no ENTRYPOINT in exec form ["…", "node", …]');
  const node = entrypoint.indexOf('node');
  const script = entrypoint.indexOf('src/cli/main.ts');
  if (node < 0 || script < node) throw new Error('Dockerfile: the ENTRYPOINT does not run node src/cli/main.ts');
  return entrypoint.slice(node + 1, script) as string[];
}

/** The watcher's young-generation limit, from the chart's default values (its Deployment passes it in NODE_OPTIONS). */
function chartWatcherFlags(): string[] {
  const values = load(readFileSync(new URL('charts/kubedispatch/values.yaml', ROOT), 'utf8')) as {
    watcher?: { maxSemiSpaceSizeMb?: number };
  };
  const mb = values.watcher?.maxSemiSpaceSizeMb;
  return mb ? [`--max-semi-space-size=${mb}`] : [];
}

/** The flags a deployed process of `role` runs with, so that benchmarks measure processes started as shipped. */
export function shippedNodeFlags(role: 'scheduler' | 'dispatcher' | 'watcher' | 'dashboard'): string[] {
  return [...(role === 'watcher' ? chartWatcherFlags() : []), ...imageNodeFlags()];
}
