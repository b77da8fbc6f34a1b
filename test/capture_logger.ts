// A logger whose lines are kept for assertions, with the service's own redaction (core/log.ts), so that a test can
// show what reaches the log and that no secret does.
import { pino } from 'pino';
import { REDACT, type Logger } from '../core/log.ts';

export function captureLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = pino({ level: 'debug', redact: { paths: REDACT, censor: '[redacted]' } }, { write: (s: string) => void lines.push(s) });
  return { log, lines };
}
