// The Host check against DNS rebinding: loopback names with the port, and the bare name on port 80 (browsers leave the default port out).
import type { Server } from 'node:http';
import { describe, expect, test } from 'vitest';
import { hostAllowed } from '../../src/serve/http.js';

const listening = (port: number) => ({ address: () => ({ address: '127.0.0.1', family: 'IPv4', port }) }) as unknown as Server;

describe('hostAllowed', () => {
  test('port 80: the bare loopback name is accepted, a foreign one still refused', () => {
    const server = listening(80);
    expect(hostAllowed('127.0.0.1', server, '127.0.0.1')).toBe(true);
    expect(hostAllowed('localhost', server, '127.0.0.1')).toBe(true);
    expect(hostAllowed('127.0.0.1:80', server, '127.0.0.1')).toBe(true);
    expect(hostAllowed('evil.example', server, '127.0.0.1')).toBe(false);
    expect(hostAllowed('evil.example:80', server, '127.0.0.1')).toBe(false);
  });

  test('another port: the port must be given', () => {
    const server = listening(18080);
    expect(hostAllowed('127.0.0.1:18080', server, '127.0.0.1')).toBe(true);
    expect(hostAllowed('127.0.0.1', server, '127.0.0.1')).toBe(false);
    expect(hostAllowed('evil.example:18080', server, '127.0.0.1')).toBe(false);
  });
});
