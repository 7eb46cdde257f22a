/**
 * METRICS_PORT: the metrics on their own server bound to 127.0.0.1, without a token; the main port
 * has no /metrics without METRICS_TOKEN; the server closes with the node.
 */
import { createTestDatabase } from '../support/database';
import { freePort, startTestServer, type TestServer } from '../support/server';
import { scrape } from './scrape';

let node: TestServer;
let port: number;

beforeAll(async () => {
  port = await freePort();
  node = await startTestServer({ env: { METRICS_PORT: String(port), PURGE_INTERVAL: '1' } });
});

afterAll(async () => {
  await node?.stop();
});

describe('METRICS_PORT', () => {
  it('serves the metrics on the loopback address without a token', async () => {
    expect(node.metricsUrl).toBe(`http://127.0.0.1:${port}`);
    await fetch(`${node.issuer}/jwks`);
    const m = await scrape(node.metricsUrl!);
    expect(m.types.get('gatehouse_http_requests_total')).toBe('counter');
    expect(
      m.value('gatehouse_http_requests_total', { method: 'GET', route: '/jwks' }),
    ).toBeGreaterThanOrEqual(1);
    // Scrapes of the metrics port are not requests of the node.
    expect(m.find('gatehouse_http_requests_total', { route: '/metrics' })).toEqual([]);
  });

  it('counts the runs of the purge job', async () => {
    const until = Date.now() + 5000;
    while ((await scrape(node.metricsUrl!)).value('gatehouse_purge_runs_total') < 1) {
      if (Date.now() > until) throw new Error('no purge run counted');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  it('answers nothing but GET /metrics there', async () => {
    expect((await fetch(`${node.metricsUrl}/`)).status).toBe(404);
    expect((await fetch(`${node.metricsUrl}/metrics/x`)).status).toBe(404);
    const post = await fetch(`${node.metricsUrl}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('has no /metrics on the main port without METRICS_TOKEN: 404', async () => {
    const res = await fetch(`${node.issuer}/metrics`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(404);
    const text = await res.text();
    expect(text).not.toContain('gatehouse_');
    expect(text).not.toContain('process_cpu');
  });

  it('is bound to the loopback address only', async () => {
    const { networkInterfaces } = await import('node:os');
    const other = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!other) return; // a machine with no other address has nothing else to bind
    await expect(fetch(`http://${other.address}:${port}/metrics`)).rejects.toThrow();
  });
});

describe('a METRICS_PORT already taken', () => {
  it('fails the start, with the main port never opened', async () => {
    const database = await createTestDatabase();
    const main = await freePort();
    try {
      await expect(
        startTestServer({ database, port: main, env: { METRICS_PORT: String(port) } }),
      ).rejects.toThrow(/EADDRINUSE/);
      await expect(fetch(`http://127.0.0.1:${main}/healthz`)).rejects.toThrow();
    } finally {
      await database.drop();
    }
  });
});

describe('closing the node', () => {
  it('closes the metrics server with it', async () => {
    const url = node.metricsUrl!;
    await node.stop();
    await expect(fetch(`${url}/metrics`)).rejects.toThrow();
    node = undefined as unknown as TestServer;
  });
});
