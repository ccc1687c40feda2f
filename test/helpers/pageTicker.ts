// For test pages: a timer that reschedules itself (setTimeout 0) for as long as the page lives, counting its ticks
// and the longest gap between two, to see whether long work leaves the page's main thread its turns.
export class PageTicker {
  ticks = 0;
  longestGapMs = 0;
  private last = performance.now();

  constructor() {
    const tick = () => {
      this.ticks++;
      const now = performance.now();
      this.longestGapMs = Math.max(this.longestGapMs, now - this.last);
      this.last = now;
      setTimeout(tick, 0);
    };
    tick();
  }

  /** Starts measuring the longest gap afresh. */
  restart(): void {
    this.longestGapMs = 0;
    this.last = performance.now();
  }
}
