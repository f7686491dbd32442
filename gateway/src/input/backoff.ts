/**
 * Retries with exponential backoff: `min`, 2·min, 4·min… capped at `max`. One pending retry at a
 * time; reset() after a success; cancel() on stop. Shared by the serial and HID inputs.
 */
export class Backoff {
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {}

  schedule(run: () => void): void {
    if (this.timer) return;
    const delay = Math.min(this.minMs * 2 ** Math.min(this.attempt, 16), this.maxMs);
    this.attempt++;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      run();
    }, delay);
  }

  reset(): void {
    this.attempt = 0;
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
