import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { toError } from '../errors/to-error.ts';

export interface RunningHttpServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `app` on `host`:`port` (0 picks a free port). `settings` names the settings of the
 * address, so that a port in use says what to change.
 */
export async function listen(app: Express, host: string, port: number, settings: string): Promise<RunningHttpServer> {
  const server = app.listen(port, host);
  try {
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([error]) => Promise.reject(toError(error))),
    ]);
  } catch (thrown) {
    throw new Error(`cannot listen on ${host}:${port} (${toError(thrown).message}); change ${settings}`);
  }
  const address = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
