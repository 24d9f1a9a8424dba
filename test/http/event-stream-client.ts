import { eventually } from '../support/eventually.ts';

export interface ServerSentEvent {
  event: string;
  data: string;
}

/**
 * Reads a `text/event-stream` response as a browser's EventSource would (events and comments,
 * one `data:` line each, as the server writes them), keeping everything it received.
 */
export class EventStreamClient {
  readonly response: Response;
  readonly events: ServerSentEvent[] = [];
  readonly comments: string[] = [];
  #ended = false;
  readonly #abort: AbortController;

  private constructor(response: Response, abort: AbortController) {
    this.response = response;
    this.#abort = abort;
  }

  /** Opens the stream; a response that is not a stream (404, 503) is returned as it is, in `response`. */
  static async open(url: string, headers: Record<string, string>): Promise<EventStreamClient> {
    const abort = new AbortController();
    const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
    const client = new EventStreamClient(response, abort);
    if (response.headers.get('content-type') === 'text/event-stream') void client.#read();
    return client;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** The data of each event named `event`, parsed. */
  data<T>(event: string): T[] {
    return this.events.filter((e) => e.event === event).map((e) => JSON.parse(e.data) as T);
  }

  /** Waits for an event named `event` whose data satisfies `accept`, and returns that data. */
  async next<T>(event: string, accept: (data: T) => boolean = () => true): Promise<T> {
    return eventually(`an "${event}" event (got ${this.events.length} events)`, () => this.data<T>(event).find(accept));
  }

  /** Disconnects, as a closed browser tab does. */
  close(): void {
    this.#abort.abort();
  }

  async #read(): Promise<void> {
    const reader = this.response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          this.#take(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // Aborted by close(), or the server went away: either way the stream ended.
    } finally {
      this.#ended = true;
    }
  }

  #take(block: string): void {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line.startsWith('event: ')) event = line.slice('event: '.length);
      else if (line.startsWith('data: ')) data.push(line.slice('data: '.length));
    }
    if (data.length > 0) this.events.push({ event, data: data.join('\n') });
  }
}
