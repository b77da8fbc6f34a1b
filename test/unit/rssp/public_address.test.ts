// In production a finished job's result is delivered to public addresses only (rssp/jobs/public_address.ts): the
// classifier, the lookup the connection uses, and postResult against a receiver on loopback, refused with the guard
// and reached without it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postResult } from '../../../rssp/jobs/deliver.ts';
import { isPublicAddress, publicOnlyLookup } from '../../../rssp/jobs/public_address.ts';

let server: http.Server;
let port = 0;
let received = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    received++;
    req.resume();
    res.writeHead(204).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('public addresses only', () => {
  it('tells public addresses from loopback, private, link-local, metadata, documentation and mapped ones', () => {
    for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isPublicAddress(a), a).toBe(true);
    for (const a of ['127.0.0.1', '127.8.9.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1',
      '0.0.0.0', '192.0.2.1', '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fd00::1', 'fc00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1',
      'not an address']) {
      expect(isPublicAddress(a), a).toBe(false);
    }
  });

  it('lookup: refuses a name that resolves to loopback only', async () => {
    const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => publicOnlyLookup('localhost', {}, (e) => resolve(e)));
    expect(err?.message).toBe('localhost resolves to no public address');
  });

  it('postResult: nothing reaches a loopback receiver with the guard, by address or by name; without it, it is delivered', async () => {
    const before = received;
    expect(await postResult(`http://127.0.0.1:${port}/cb`, { responseID: 'x' }, 2000, true)).toBe(false);
    expect(await postResult(`http://localhost:${port}/cb`, { responseID: 'x' }, 2000, true)).toBe(false);
    expect(await postResult(`http://[::ffff:127.0.0.1]:${port}/cb`, { responseID: 'x' }, 2000, true)).toBe(false);
    expect(received).toBe(before);
    expect(await postResult(`http://127.0.0.1:${port}/cb`, { responseID: 'x' }, 2000, false)).toBe(true);
    expect(received).toBe(before + 1);
  });
});
