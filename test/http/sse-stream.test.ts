import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { SseStreams } from '../../src/http/sse-stream.ts';
import { eventually } from '../support/eventually.ts';

describe('event streams', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  it('drops a client that stops reading once too much is unread, freeing what was buffered for it', async () => {
    const streams = new SseStreams({ maxBufferedBytes: 64 * 1024 });
    const serverSockets: Socket[] = [];
    const app = express();
    app.get('/events', (request, response) => {
      serverSockets.push(request.socket);
      const stream = streams.start(request, response)!;
      const payload = 'x'.repeat(16 * 1024);
      // Far more than the kernel's socket buffers hold, so that most of it waits in the process.
      const pump = setInterval(() => {
        for (let i = 0; i < 64; i++) stream.send('big', payload);
      }, 5);
      stream.onClose(() => clearInterval(pump));
      cleanups.push(() => clearInterval(pump));
    });
    // A Unix socket's buffers are small and fixed (TCP's grow to tens of MB on loopback), so the
    // unread bytes soon wait in the process, as they do behind a slow client far away.
    const dir = mkdtempSync(join(tmpdir(), 'kd-sse-'));
    const server = app.listen(join(dir, 'http.sock'));
    await new Promise((resolve) => server.once('listening', resolve));
    cleanups.push(() => {
      server.closeAllConnections();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const client = connect(join(dir, 'http.sock'));
    cleanups.push(() => client.destroy());
    client.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    // Never read: the client's receive buffer fills, then the server's, then the process's.
    client.pause();

    await eventually('the stream to be given up', async () => streams.size === 0 && serverSockets.length === 1);
    // Ending the response would leave its unread bytes in memory for as long as the client stays.
    await eventually('the connection to be dropped', async () => serverSockets[0]!.destroyed, 5000);
    expect(serverSockets[0]!.writableLength).toBe(0);
  });
});
