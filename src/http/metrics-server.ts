/**
 * METRICS_PORT: GET /metrics without a token on its own HTTP server bound to 127.0.0.1, so a scraper
 * on the same machine (or a sidecar) reads the node's metrics without them ever reaching the public
 * port. Only GET /metrics answers; anything else is a 404, another method a 405.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NodeMetrics } from '../metrics/registry';
import { METRICS_PATH } from './metrics-route';

export interface MetricsServer {
  /** http://127.0.0.1:<port> */
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(metrics: NodeMetrics, port: number): Promise<MetricsServer> {
  const server = http.createServer(function answerScrape(req, res) {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== METRICS_PATH) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end();
      return;
    }
    metrics.render().then(
      ({ contentType, body }) => {
        res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      () => {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('metrics unavailable\n');
      },
    );
  });
  // A scraper's keep-alive connection must not hold the node's shutdown.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
