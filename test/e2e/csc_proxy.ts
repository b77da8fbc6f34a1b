// A reverse proxy in front of our service that turns it into another server for the conformance profiles' tests:
// a CSC v2.2 base made from our /csc/v2 (the v2.2 base of issue #12 item 1 lands separately), or a deliberately
// broken variant — a member dropped or misspelled, explicit nulls refused — one flaw at a time.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type ProxyOptions = {
  /** The service behind, e.g. http://127.0.0.1:PORT. */
  target: string;
  /** Path under the proxy → path at the target (default: the same path). */
  mapPath?: (path: string) => string;
  /** Changes a JSON answer; `method` is the CSC method name (the path after the base). */
  rewrite?: (method: string, json: Record<string, unknown>) => Record<string, unknown>;
  /** The flaw of a strict-typed server: any explicit null in a request body is refused with 400. */
  refuseNulls?: boolean;
};

const hasNull = (v: unknown): boolean =>
  v === null || (typeof v === 'object' && Object.values(v as Record<string, unknown>).some(hasNull));

export async function startProxy(opts: ProxyOptions): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const send = (status: number, contentType: string | null, body: string) => {
        res.writeHead(status, contentType ? { 'content-type': contentType } : {});
        res.end(body);
      };
      try {
        if (opts.refuseNulls && raw) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(raw);
          } catch {
            parsed = undefined;
          }
          if (hasNull(parsed)) return send(400, 'application/json', JSON.stringify({ error: 'invalid_request', error_description: 'Invalid parameter: null' }));
        }
        const path = opts.mapPath ? opts.mapPath(req.url ?? '/') : (req.url ?? '/');
        const upstream = await fetch(`${opts.target}${path}`, {
          method: req.method,
          headers: {
            ...(req.headers['content-type'] ? { 'content-type': req.headers['content-type'] } : {}),
            ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
          },
          body: req.method === 'GET' || req.method === 'HEAD' ? undefined : raw,
          redirect: 'manual',
        });
        const text = await upstream.text();
        const contentType = upstream.headers.get('content-type');
        const method = path.replace(/^\/csc\/v[0-9.]+\//, '');
        if (opts.rewrite && contentType?.startsWith('application/json') && text) {
          return send(upstream.status, contentType, JSON.stringify(opts.rewrite(method, JSON.parse(text))));
        }
        send(upstream.status, contentType, text);
      } catch (err) {
        send(502, 'application/json', JSON.stringify({ error: 'bad_gateway', error_description: (err as Error).message }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}
