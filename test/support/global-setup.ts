import type { TestProject } from 'vitest/node';
import { redactUrl } from '../../src/errors/redact.ts';
import { redisAnswers, startLocalRedis } from '../../src/redis/local-redis-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/**
 * Gives every test a real Redis: REDIS_URL if set, else a private redis-server child, else
 * testcontainers' Redis where a Docker engine answers. Tests isolate themselves by key prefix.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fromEnv = process.env['REDIS_URL'];
  if (fromEnv) {
    if (!(await redisAnswers(fromEnv, 2000))) throw new Error(`REDIS_URL=${redactUrl(fromEnv)} does not answer PING`);
    project.provide('redisUrl', fromEnv);
    return async () => undefined;
  }
  const problems: string[] = [];
  try {
    const local = await startLocalRedis();
    project.provide('redisUrl', local.url);
    return () => local.stop();
  } catch (error) {
    problems.push((error as Error).message);
  }
  try {
    const { GenericContainer, getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    const container = await new GenericContainer('redis:7-alpine').withExposedPorts(6379).start();
    project.provide('redisUrl', `redis://${container.getHost()}:${container.getMappedPort(6379)}`);
    return async () => {
      await container.stop();
    };
  } catch (error) {
    problems.push(`testcontainers: ${(error as Error).message}`);
  }
  throw new Error(
    `The tests need a Redis server and none could be found:\n- ${problems.join('\n- ')}\n` +
      'Fix: set REDIS_URL=redis://host:port, or install redis-server (Debian: apt-get install redis-server), or start a Docker engine.',
  );
}
