// SMS through an HTTP gateway: every provider has its own API, so URL, method, headers and body are
// configuration. The body is a template in which {{to}} and {{text}} are replaced by the recipient's number and
// the message, escaped for the body's Content-Type (JSON string content, or form-urlencoded).
import type { Notifier } from './notifier.ts';

export type SmsGatewayConfig = {
  url: string;
  method: 'POST' | 'PUT' | 'GET';
  headers: Record<string, string>;
  /** Default `{"to":"{{to}}","text":"{{text}}"}` with Content-Type application/json. */
  bodyTemplate: string;
  timeoutMs?: number;
};

export function renderTemplate(template: string, values: Record<string, string>, contentType: string): string {
  const escape = contentType.includes('x-www-form-urlencoded')
    ? encodeURIComponent
    : contentType.includes('json')
      ? (v: string) => JSON.stringify(v).slice(1, -1)
      : (v: string) => v;
  return template.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => (Object.hasOwn(values, key) ? escape(values[key]!) : whole));
}

export function smsGatewayNotifier(config: SmsGatewayConfig): Notifier {
  const headers = { ...config.headers };
  const typeKey = Object.keys(headers).find((k) => k.toLowerCase() === 'content-type');
  if (!typeKey) headers['Content-Type'] = 'application/json';
  const contentType = headers[typeKey ?? 'Content-Type']!;
  return {
    async send(msg) {
      const values = { to: msg.to, text: msg.text };
      let url = config.url;
      let body: string | undefined;
      if (config.method === 'GET') {
        // A GET gateway takes its parameters in the URL: the template applies to it, URL-encoded.
        url = renderTemplate(config.url, values, 'application/x-www-form-urlencoded');
      } else {
        body = renderTemplate(config.bodyTemplate, values, contentType);
      }
      let res: Response;
      try {
        res = await fetch(url, { method: config.method, headers, body, signal: AbortSignal.timeout(config.timeoutMs ?? 10_000) });
      } catch (err) {
        throw new Error(`SMS gateway unreachable (${(err as Error).name})`);
      }
      await res.body?.cancel().catch(() => {});
      if (!res.ok) throw new Error(`SMS gateway answered ${res.status}`);
    },
  };
}
