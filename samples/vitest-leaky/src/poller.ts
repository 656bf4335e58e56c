// Polls a status every second until stopped; a poller that is never stopped is never freed,
// because the interval's callback holds it.
export class StatusPoller {
  private timer: ReturnType<typeof setInterval> | undefined;
  readonly seen: number[] = [];

  start(): void {
    this.timer = setInterval(() => this.seen.push(Date.now()), 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
