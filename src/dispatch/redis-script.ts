import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

type ScriptCall = (...args: (string | number)[]) => Promise<unknown>;

/**
 * Defines a Lua script of ./lua on a connection (ioredis then sends it by SHA) and returns a
 * caller taking the script's keys followed by its arguments.
 */
export function defineScript(redis: Redis, name: string, numberOfKeys: number): ScriptCall {
  const command = `kd_dispatch_${name.replaceAll('-', '_')}`;
  if (!(command in redis)) {
    redis.defineCommand(command, {
      numberOfKeys,
      lua: readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8'),
    });
  }
  const call = (redis as unknown as Record<string, ScriptCall>)[command]!;
  return call.bind(redis);
}
