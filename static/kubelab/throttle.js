// Re-reading on demand, but not too often (the lab page's checks, the class wall).

// Calls `run` when asked, never more often than every `interval` ms and never two at
// once: requests that arrive meanwhile fold into one trailing run.
export class Throttle {
  constructor(run, interval) {
    this.run = run;
    this.interval = interval;
    this.last = -Infinity;
    this.timer = null;
    this.running = false;
    this.again = false;
  }

  request() {
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer !== null) return;
    const wait = Math.max(0, this.last + this.interval - Date.now());
    this.timer = setTimeout(() => this.fire(), wait);
  }

  async fire() {
    this.timer = null;
    this.running = true;
    this.last = Date.now();
    try {
      await this.run();
    } catch {
      // A failed run is retried by the next request or the caller's fallback poll.
    } finally {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.request();
      }
    }
  }
}
