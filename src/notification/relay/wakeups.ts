/**
 * The relay's waits that a committed change (or shutdown) cuts short: the claim loop's sleep, and
 * workers waiting for more changes before they give their lease back.
 */
export class Wakeups {
  private wakeLoop: (() => void) | null = null;
  private changeWaiters: (() => void)[] = [];

  /** A change was committed: every waiting worker and the claim loop look now. */
  changed() {
    for (const w of this.changeWaiters.splice(0)) w();
    this.wakeLoop?.();
  }

  /** Ends the claim loop's sleep early (a worker finished, or the relay is stopping). */
  wake() {
    this.wakeLoop?.();
  }

  /** Resolves at the next change, or after `ms`. */
  nextChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.changeWaiters = this.changeWaiters.filter((w) => w !== done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.changeWaiters.push(done);
    });
  }

  /** The claim loop's sleep: `ms`, or until changed() or wake(). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wakeLoop = null;
        resolve();
      }, ms);
      this.wakeLoop = () => {
        clearTimeout(t);
        this.wakeLoop = null;
        resolve();
      };
    });
  }
}
