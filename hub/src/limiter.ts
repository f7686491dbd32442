/**
 * At most `n` tasks at once; the rest wait in order. The store's trace reads go through one so a
 * trace with many visits (and an F2 step over many F1 people) never holds more than a few pooled
 * database connections at a time, whatever the nesting of the callers.
 */
export class Limiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly n: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.n) await new Promise<void>((go) => this.waiting.push(go));
    else this.running++;
    try {
      return await task();
    } finally {
      // A waiting task inherits this slot (running stays the same); otherwise the slot is freed.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
