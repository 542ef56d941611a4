/** Step-by-step progress on stderr (only when stderr is a terminal, or when --verbose). */
export class StepLog {
  private t0 = performance.now();
  private last = this.t0;
  constructor(private readonly enabled: boolean) {}
  step(what: string): void {
    const now = performance.now();
    if (this.enabled) process.stderr.write(`  ${((now - this.t0) / 1000).toFixed(2).padStart(7)} s  ${what}\n`);
    this.last = now;
  }
  elapsed(): number {
    return (performance.now() - this.t0) / 1000;
  }
}
