import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { redisAnswers } from '../../src/redis/local-redis-server.ts';

const LAUNCHER = 'bin/kubedispatch.js';

interface DemoProcess {
  stdout(): string;
  waitFor(pattern: RegExp): Promise<string>;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  pid: number;
}

function startDemo(): DemoProcess {
  const env = { ...process.env };
  delete env['REDIS_URL'];
  const child = spawn(process.execPath, [LAUNCHER, 'demo'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  const waiters: { pattern: RegExp; resolve(line: string): void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const waiter of [...waiters]) {
      const match = waiter.pattern.exec(stdout);
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match[0]);
      }
    }
  });
  child.stderr.resume();
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return {
    pid: child.pid as number,
    stdout: () => stdout,
    exited,
    waitFor: (pattern) =>
      new Promise<string>((resolve, reject) => {
        const match = pattern.exec(stdout);
        if (match) return resolve(match[0]);
        waiters.push({ pattern, resolve });
        void exited.then(() => reject(new Error(`demo exited before printing ${pattern}:\n${stdout}`)));
      }),
  };
}

/** The redis-server children of a process, with the directory each was started in (`--dir`). */
function redisChildren(pid: number): { pid: number; dir: string }[] {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  return children.flatMap((child) => {
    const argv = readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0');
    const dir = argv[argv.indexOf('--dir') + 1];
    return argv[0]?.includes('redis-server') && dir ? [{ pid: child, dir }] : [];
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Ctrl-C at different moments: whatever the demo had started is stopped and removed. */
describe('kubedispatch demo interrupted', () => {
  const moments: [string, RegExp][] = [
    ['once its Redis is up', /private redis-server at (redis:\/\/\S+)/],
    ['once the simulated cluster is up', /kubeconfig: (\S+)/],
    ['while the run is in progress', /run \d+ of demo_etl created/],
  ];
  for (const [moment, marker] of moments) {
    it(`stops its Redis and removes its temporary files on SIGINT ${moment}`, async () => {
      const demo = startDemo();
      await demo.waitFor(marker);
      const redisUrl = /private redis-server at (redis:\/\/\S+)/.exec(demo.stdout())?.[1] as string;
      const [redis] = redisChildren(demo.pid);
      expect(redis, 'the demo runs a private redis-server').toBeDefined();
      const kubeconfig = /kubeconfig: (\S+)/.exec(demo.stdout())?.[1];
      process.kill(demo.pid, 'SIGINT');
      const [code] = await demo.exited;
      expect(code, demo.stdout()).toBe(130);
      expect(alive(redis!.pid)).toBe(false);
      expect(await redisAnswers(redisUrl, 500)).toBe(false);
      expect(existsSync(redis!.dir)).toBe(false);
      if (kubeconfig) expect(existsSync(kubeconfig)).toBe(false);
    }, 120_000);
  }
});
