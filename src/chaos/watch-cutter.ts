import type { IncomingMessage, ServerResponse } from 'node:http';

/** Relays a watch stream until `limit` events (lines) have passed, then ends it as a server closing the watch would. */
export function cutAfterEvents(source: IncomingMessage, sink: ServerResponse, limit: number): void {
  let seen = 0;
  source.on('data', (chunk: Buffer) => {
    // Data already buffered may still arrive after the cut.
    if (sink.writableEnded) return;
    for (let index = chunk.indexOf(0x0a); index !== -1; index = chunk.indexOf(0x0a, index + 1)) {
      seen++;
      if (seen === limit) {
        sink.end(chunk.subarray(0, index + 1));
        source.destroy();
        return;
      }
    }
    sink.write(chunk);
  });
  source.on('end', () => {
    if (!sink.writableEnded) sink.end();
  });
}
