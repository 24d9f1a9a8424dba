import { afterEach, beforeEach } from 'vitest';
import { startHttpServer, type HttpServerOptions, type RunningHttpServer } from '../../src/http/server.ts';
import type { RunServices } from '../../src/runs/run-services.ts';
import { testRedis, type TestRedis } from '../support/redis.ts';
import { silentLogger, testCreator, testServices } from '../scheduler/support.ts';

export interface HttpServerUnderTest {
  /** This test's Redis and key prefix. */
  readonly redis: TestRedis;
  readonly services: RunServices;
  readonly server: RunningHttpServer;
  /** The options `server` was started with, changed by `overrides`. */
  options(overrides?: Partial<HttpServerOptions>): HttpServerOptions;
  /** Starts one more server on those options; it is closed after the test. */
  startAnother(overrides?: Partial<HttpServerOptions>): Promise<RunningHttpServer>;
}

/**
 * Gives each test of the calling suite its own Redis prefix, run services and HTTP API on loopback
 * (port 0) serving `projectDir`, with no Job deletion behind cancel; all closed after the test.
 * `settings` is asked before each test, so it may make what it returns anew (a logger to read).
 */
export function useHttpServer(
  projectDir: string,
  settings: () => Partial<HttpServerOptions> & Pick<HttpServerOptions, 'authToken'>,
): HttpServerUnderTest {
  let t: TestRedis;
  let services: RunServices;
  let server: RunningHttpServer;
  let chosen: Partial<HttpServerOptions> & Pick<HttpServerOptions, 'authToken'>;
  const others: RunningHttpServer[] = [];

  const options = (overrides: Partial<HttpServerOptions> = {}): HttpServerOptions => ({
    host: '127.0.0.1',
    port: 0,
    uiWritable: false,
    services,
    creator: testCreator(services, projectDir),
    canceller: { store: services.store, blockQueue: services.blockQueue, deleteJob: async () => undefined },
    logger: silentLogger,
    ...chosen,
    ...overrides,
  });

  beforeEach(async () => {
    chosen = settings();
    t = testRedis();
    services = testServices(t);
    server = await startHttpServer(options());
  });
  afterEach(async () => {
    for (const other of others.splice(0)) await other.close();
    await server.close();
    await services.close();
    await t.cleanup();
  });

  return {
    get redis() {
      return t;
    },
    get services() {
      return services;
    },
    get server() {
      return server;
    },
    options,
    async startAnother(overrides) {
      const other = await startHttpServer(options(overrides));
      others.push(other);
      return other;
    },
  };
}
