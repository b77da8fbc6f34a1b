// Structured logs (pino). Secrets never reach a log line: the redaction list covers every place a factor, a
// SAD or a token can sit in the objects we log.
import { pino, type Logger } from 'pino';

export const REDACT = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  '*.SAD',
  '*.sad',
  '*.pin',
  '*.PIN',
  '*.otp',
  '*.OTP',
  '*.password',
  '*.authData',
  '*.token',
  '*.access_token',
  '*.refresh_token',
  '*.secret',
];

export type { Logger };

export function createLogger(level: string, name = 'rssp'): Logger {
  return pino({ name, level, redact: { paths: REDACT, censor: '[redacted]' } });
}
