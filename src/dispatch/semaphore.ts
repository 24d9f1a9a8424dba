/** Caps how many callers run a section at once within this process (FIFO). */
export class Semaphore {
  private available: number;
  private readonly queue: (() => void)[] = [];

  constructor(permits: number) {
    this.available = Math.max(1, permits);
  }

  async run<T>(section: () => Promise<T>): Promise<T> {
    if (this.available > 0) this.available -= 1;
    else await new Promise<void>((resolve) => this.queue.push(resolve));
    try {
      return await section();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.available += 1;
    }
  }
}
