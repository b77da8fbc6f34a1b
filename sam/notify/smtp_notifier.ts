// E-mail through an SMTP server (nodemailer). TLS: `secure` is implicit TLS (port 465); otherwise STARTTLS is
// used when the server offers it, and required when `requireTls` is set (RFC 3207). Credentials are optional
// (a relay on the local network may not need them).
import nodemailer from 'nodemailer';
import type { SamConfig } from '../../core/config.ts';
import type { Notifier } from './notifier.ts';

/** SMTP_* of the configuration (core/config.ts, the SAM's notify section). */
export type SmtpConfig = NonNullable<SamConfig['sam']['notify']['smtp']>;

export function smtpNotifier(config: SmtpConfig): Notifier {
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.secure,
    requireTLS: config.requireTls,
    tls: { rejectUnauthorized: config.rejectUnauthorized },
    ...(config.user ? { auth: { user: config.user, pass: config.password ?? '' } } : {}),
    // A stalled server must not hold a getChallenge request (and its row lock) for minutes.
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 15_000,
  });
  return {
    async send(msg) {
      try {
        await transport.sendMail({ from: config.from, to: msg.to, subject: msg.subject, text: msg.text });
      } catch (err) {
        // nodemailer's error may quote the SMTP dialogue, which contains the message: keep only its code.
        const code = (err as { code?: string; responseCode?: number }).code ?? (err as { responseCode?: number }).responseCode;
        throw new Error(`SMTP delivery failed${code ? ` (${code})` : ''}`);
      }
    },
  };
}
