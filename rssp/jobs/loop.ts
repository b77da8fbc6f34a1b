// A background loop of one api instance: runs `round` every `everyMs`, at once again while a round says there is
// more to do, and at once when woken. One round at a time; stop() waits for the round in flight.
import type { Logger } from '../../core/log.ts';

export type Loop = { wake(): void; stop(): Promise<void> };

export function startLoop(opts: { name: string; everyMs: number; round: () => Promise<boolean>; log: Logger }): Loop {
  let stopped = false;
  let woken = false;
  let running: Promise<void> | null = null;
  let timer: NodeJS.Timeout | undefined;
  const schedule = (ms: number) => {
    clearTimeout(timer);
    if (stopped) return;
    timer = setTimeout(run, ms);
    timer.unref();
  };
  const run = () => {
    if (running || stopped) return;
    woken = false;
    running = opts
      .round()
      .catch((err: unknown) => {
        opts.log.warn({ event: opts.name, err: (err as Error).message }, 'background round failed; the next one retries');
        return false;
      })
      .then((more) => {
        running = null;
        schedule(more || woken ? 0 : opts.everyMs);
      });
  };
  schedule(0);
  return {
    wake() {
      woken = true;
      if (!running) schedule(0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
