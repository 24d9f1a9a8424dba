import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// Records every module URL the process loads and prints them on exit, one per line after a marker.
const TRACE = `
import { registerHooks } from 'node:module';
const loaded = new Set();
registerHooks({ resolve(specifier, context, next) { const result = next(specifier, context); loaded.add(result.url); return result; } });
process.on('exit', () => process.stderr.write('\\n--loaded--\\n' + [...loaded].join('\\n')));
`;

const HEAVY = [
  '/node_modules/bullmq/',
  '/node_modules/@kubernetes/client-node/',
  '/node_modules/ioredis/',
  '/src/sim/',
];

function modulesLoadedBy(args: string[]): string[] {
  const result = spawnSync(
    process.execPath,
    ['--import', `data:text/javascript,${encodeURIComponent(TRACE)}`, 'src/cli/main.ts', ...args],
    { encoding: 'utf8' },
  );
  expect(result.status, result.stderr).toBe(0);
  return result.stderr.split('\n--loaded--\n')[1]?.split('\n') ?? [];
}

describe('CLI help', () => {
  // Help must stay instant: commands load BullMQ, the Kubernetes client and the sim in their actions.
  it.each([[['--help']], [['dispatcher', '--help']], [['demo', '--help']], [['sim', '--help']]])(
    '%j loads none of the heavy modules',
    (args) => {
      const loaded = modulesLoadedBy(args);
      expect(loaded.some((url) => url.endsWith('/src/cli/main.ts'))).toBe(true);
      expect(loaded.filter((url) => HEAVY.some((part) => url.includes(part)))).toEqual([]);
    },
  );
});
