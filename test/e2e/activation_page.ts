// The activation link as a program follows it (test/e2e/activation_link.test.ts drives the same page in Chromium):
// read the link the SAM sent from the development outbox, open the page, and set the PIN (and the authenticator,
// when the page offers one) with a plain form POST carrying the page's cookie and CSRF field.
import { expect } from 'vitest';
import { outboxDir, readOutbox } from '../../sam/notify/outbox_notifier.ts';
import { type Server, totp } from './harness.ts';

const LINK = /(https?:\/\/[^\s]+\/activate\/)([A-Za-z0-9_-]{43})/;

/** The latest activation link in `outboxOf`'s outbox for `username` (the notifier's recipient name). */
export async function activationLinkFor(outboxOf: Server, username: string): Promise<{ base: string; token: string; text: string }> {
  const messages = await readOutbox(outboxDir(outboxOf.dataDir), { username });
  const m = LINK.exec(messages.at(-1)?.text ?? '');
  expect(m, JSON.stringify(messages)).not.toBeNull();
  return { base: m![1]!, token: m![2]!, text: messages.at(-1)!.text };
}

/** Opens the page at `baseUrl` and redeems it with `pin`; answers the TOTP secret it enrolled (null when it offered
 *  none) and the page's response. */
export async function redeemActivation(baseUrl: string, token: string, pin: string): Promise<{ secret: string | null; status: number; html: string; get: Response }> {
  const get = await fetch(`${baseUrl}/activate/${token}`);
  expect(get.status).toBe(200);
  const page = await get.text();
  const cookie = get.headers.getSetCookie()[0]!;
  const secret = /id="totp-secret">([A-Z2-7]+)</.exec(page)?.[1] ?? null;
  const form = new URLSearchParams({ csrf: /name="csrf" value="([^"]+)"/.exec(page)![1]!, pin, pin2: pin });
  if (secret) form.set('otp', await totp(secret));
  const post = await fetch(`${baseUrl}/activate/${token}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookie.split(';')[0]! },
    body: form.toString(),
  });
  return { secret, status: post.status, html: await post.text(), get };
}
