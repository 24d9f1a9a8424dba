import type { Request, Response } from 'express';

export interface SseLimits {
  /** Open streams a process serves at most; more are refused with 503. */
  maxStreams: number;
  /** A comment line this often keeps proxies and load balancers from closing an idle stream. */
  keepaliveMs: number;
  /** A client that lets this much go unread is disconnected, rather than held in memory without end. */
  maxBufferedBytes: number;
}

export const DEFAULT_SSE_LIMITS: SseLimits = {
  maxStreams: 200,
  keepaliveMs: 15_000,
  // Beyond what the kernel's socket buffers hold. At most 200 MiB for a full cap of slow clients,
  // well inside the dashboard's memory limit (512 Mi in k8s/ and the chart).
  maxBufferedBytes: 1024 * 1024,
};

/**
 * JSON of each object sent, by identity: every stream of one run (or one listing) is sent the same
 * object read once, so 200 clients cost one serialisation, not 200.
 */
const serialised = new WeakMap<object, string>();

function json(data: unknown): string {
  if (typeof data !== 'object' || data === null) return JSON.stringify(data);
  let text = serialised.get(data);
  if (text === undefined) {
    text = JSON.stringify(data);
    serialised.set(data, text);
  }
  return text;
}

/** One open `text/event-stream` response. */
export class SseStream {
  readonly #response: Response;
  readonly #maxBufferedBytes: number;
  readonly #onClose: (() => void)[] = [];
  #closed = false;

  constructor(response: Response, maxBufferedBytes: number) {
    this.#response = response;
    this.#maxBufferedBytes = maxBufferedBytes;
    response.on('close', () => this.#closedBy());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends one event; `data` as JSON, which never spans lines, so one `data:` line carries it. */
  send(event: string, data: unknown): void {
    this.#write(`event: ${event}\ndata: ${json(data)}\n\n`);
  }

  comment(text: string): void {
    this.#write(`: ${text}\n\n`);
  }

  /** Ends the stream (the client sees it end, and may reconnect). */
  close(): void {
    if (this.#closed) return;
    this.#response.end();
    this.#closedBy();
  }

  /** Calls `listener` once when the stream ends, by either side. */
  onClose(listener: () => void): void {
    if (this.#closed) listener();
    else this.#onClose.push(listener);
  }

  #write(text: string): void {
    if (this.#closed) return;
    if (this.#response.writableLength <= this.#maxBufferedBytes) return void this.#response.write(text);
    // Dropped, not ended: an end waits for the client to read what is unread, keeping it in
    // memory (and the connection open, uncounted by the cap) for as long as the client stays.
    this.#response.destroy();
    this.#closedBy();
  }

  #closedBy(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const listener of this.#onClose.splice(0)) listener();
  }
}

/**
 * The event streams of one server: starts them within a cap, keeps them alive, and ends them
 * all when the server closes (an open stream would otherwise hold `server.close` forever).
 */
export class SseStreams {
  readonly #limits: SseLimits;
  readonly #open = new Set<SseStream>();

  constructor(limits: Partial<SseLimits> = {}) {
    this.#limits = { ...DEFAULT_SSE_LIMITS, ...limits };
  }

  get size(): number {
    return this.#open.size;
  }

  get full(): boolean {
    return this.#open.size >= this.#limits.maxStreams;
  }

  /** Answers 503 when the cap is reached; true when it did. */
  refuseWhenFull(response: Response): boolean {
    if (!this.full) return false;
    response
      .status(503)
      .set('Retry-After', '30')
      .json({
        error: 'too_many_streams',
        message: `this dashboard process already serves ${this.#limits.maxStreams} event streams, its limit; close other run pages or try again later`,
      });
    return true;
  }

  /** Starts an event stream on `response`, or answers 503 and returns undefined when the cap is reached. */
  start(request: Request, response: Response): SseStream | undefined {
    if (this.refuseWhenFull(response)) return undefined;
    response.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-transform',
      // Reverse proxies (nginx) would otherwise hold events back in their buffers.
      'X-Accel-Buffering': 'no',
    });
    response.flushHeaders();
    request.socket.setNoDelay(true);
    const stream = new SseStream(response, this.#limits.maxBufferedBytes);
    this.#open.add(stream);
    const keepalive = setInterval(() => stream.comment('keepalive'), this.#limits.keepaliveMs);
    keepalive.unref();
    stream.onClose(() => {
      clearInterval(keepalive);
      this.#open.delete(stream);
    });
    return stream;
  }

  closeAll(): void {
    for (const stream of [...this.#open]) stream.close();
  }
}
