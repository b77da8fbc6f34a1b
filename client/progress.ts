// A progress bar on stderr (stdout stays free for machine-readable output). On a terminal it redraws one line;
// otherwise (CI logs, pipes) it prints one line per step so the log stays readable.
export class ProgressBar {
  private readonly tty: boolean;
  private lastLine = '';

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly width = 24,
  ) {
    this.tty = Boolean(out.isTTY);
  }

  update(label: string, done: number, total: number, detail = ''): void {
    const filled = total ? Math.round((done / total) * this.width) : 0;
    const line = `${label.padEnd(9)} [${'#'.repeat(filled)}${'-'.repeat(this.width - filled)}] ${done}/${total}${detail ? ` ${detail}` : ''}`;
    if (line === this.lastLine) return;
    this.lastLine = line;
    if (this.tty) this.out.write(`\r\x1b[2K${line}`);
    else this.out.write(`${line}\n`);
  }

  done(): void {
    if (this.tty && this.lastLine) this.out.write('\n');
    this.lastLine = '';
  }
}
