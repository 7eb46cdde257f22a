/**
 * A local TLS terminator for the https run: a self-signed certificate made with Debian's openssl
 * (127.0.0.1 and localhost as subject alternative names), and node's https server forwarding every
 * request to the app with X-Forwarded-Proto and X-Forwarded-Host, as a load balancer would.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

export interface Certificate {
  dir: string;
  certFile: string;
  key: string;
  cert: string;
}

export function selfSignedCertificate(): Certificate {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-tls-'));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-sha256',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { dir, certFile, key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8') };
}

export interface Terminator {
  port: number;
  close(): Promise<void>;
}

/** `forwardProto: false` forgets X-Forwarded-Proto: the misconfigured proxy of the failing test. */
export async function startTerminator(
  certificate: Certificate,
  upstreamPort: number,
  options: { port?: number; forwardProto?: boolean } = {},
): Promise<Terminator> {
  const server = https.createServer({ key: certificate.key, cert: certificate.cert }, (req, res) => {
    const headers = {
      ...req.headers,
      'x-forwarded-host': req.headers.host ?? '',
    } as http.OutgoingHttpHeaders;
    if (options.forwardProto !== false) headers['x-forwarded-proto'] = 'https';
    const upstream = http.request(
      { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
