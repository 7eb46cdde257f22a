/**
 * What the grant suites share: a node whose log lines the test can read, token requests over plain
 * HTTP, and two receivers standing in for the outside world (a webhook endpoint and an SMTP server).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../../src/config';
import { REDACT_PATHS } from '../../src/log';
import { startServer } from '../../src/server';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { freePort, testEnv, type TestServer } from '../support/server';

export const OTP_GRANT = 'urn:gatehouse:params:oauth:grant-type:otp';
export const DEMO_CLI = { id: 'demo-cli', secret: 'demo-cli-secret' };

export interface LoggedNode extends TestServer {
  /** Every log line the node wrote, parsed. */
  logs: Record<string, unknown>[];
}

/** A test node (as startTestServer) whose logger writes into `logs`, with the production redaction. */
export async function startLoggedNode(env: Record<string, string> = {}): Promise<LoggedNode> {
  const database: TestDatabase = await createTestDatabase();
  const port = await freePort();
  const config = loadConfig(testEnv(port, database, { LOG_LEVEL: 'info', ...env }));
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const logger = pino({ level: 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
  const running = await startServer(config, { logger });
  return Object.assign(running, {
    issuer: config.issuer,
    config,
    database,
    logs,
    async stop() {
      await running.close();
      await database.drop();
    },
  });
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  body: Record<string, unknown>;
}

async function answer(res: Response): Promise<HttpAnswer> {
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: the test looks at `text`
  }
  return { status: res.status, headers: res.headers, text, body };
}

export async function post(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  return answer(await fetch(url, { method: 'POST', body, headers }));
}

export const form = (params: Record<string, string>) => new URLSearchParams(params).toString();

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

/** A token request as a client sends it (client_secret_basic). */
export async function tokenRequest(
  issuer: string,
  params: Record<string, string>,
  client: { id: string; secret: string } = DEMO_CLI,
): Promise<HttpAnswer> {
  return post(`${issuer}/token`, form(params), {
    authorization: basic(client.id, client.secret),
    'content-type': 'application/x-www-form-urlencoded',
  });
}

export async function requestOtp(issuer: string, username: string): Promise<HttpAnswer> {
  return post(`${issuer}/api/request-otp`, form({ username }), {
    'content-type': 'application/x-www-form-urlencoded',
  });
}

/** Polls until `check` returns something, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function decodeJwtPayload(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

export interface WebhookDelivery {
  headers: http.IncomingHttpHeaders;
  raw: string;
  json: Record<string, string>;
}

/** An HTTP endpoint receiving webhook deliveries; `respond` queues answers (a status or 'hang'). */
export async function startWebhookReceiver() {
  const deliveries: WebhookDelivery[] = [];
  const respond: (number | 'hang')[] = [];
  const hanging: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      deliveries.push({ headers: req.headers, raw, json: JSON.parse(raw) as Record<string, string> });
      const next = respond.shift() ?? 204;
      if (next === 'hang') hanging.push(res);
      else res.writeHead(next).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/otp`,
    deliveries,
    respond,
    /** Waits for the `n`th delivery (1-based) for a username. */
    async forUser(username: string, n = 1): Promise<WebhookDelivery> {
      return eventually(() => deliveries.filter((d) => d.json.username === username)[n - 1]);
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Checks `X-Gatehouse-Signature: sha256=<hex>` against an HMAC-SHA256 of the exact body. */
export function signatureValid(delivery: WebhookDelivery, secret: string): boolean {
  const header = delivery.headers['x-gatehouse-signature'];
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = createHmac('sha256', secret).update(delivery.raw, 'utf8').digest();
  const given = Buffer.from(header.slice('sha256='.length), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface SmtpMessage {
  from: string;
  to: string[];
  data: string;
}

/** A minimal SMTP server (RFC 5321 commands a client needs for one message, no TLS, no auth). */
export async function startSmtpReceiver() {
  const messages: SmtpMessage[] = [];
  const server = net.createServer((socket) => {
    socket.setEncoding('utf8');
    let buffer = '';
    let inData = false;
    let current: SmtpMessage = { from: '', to: [], data: '' };
    socket.write('220 test.localhost ESMTP\r\n');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end === -1) return;
          current.data = buffer.slice(0, end).replace(/^\.\./gm, '.');
          buffer = buffer.slice(end + 5);
          messages.push(current);
          current = { from: '', to: [], data: '' };
          inData = false;
          socket.write('250 OK queued\r\n');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol === -1) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') socket.write('250-test.localhost\r\n250 8BITMIME\r\n');
        else if (verb === 'MAIL') {
          current.from = line.slice(10).trim();
          socket.write('250 OK\r\n');
        } else if (verb === 'RCPT') {
          current.to.push(line.slice(8).trim());
          socket.write('250 OK\r\n');
        } else if (verb === 'DATA') {
          inData = true;
          socket.write('354 go ahead\r\n');
        } else if (verb === 'QUIT') {
          socket.end('221 bye\r\n');
          return;
        } else if (verb === 'RSET' || verb === 'NOOP') socket.write('250 OK\r\n');
        else socket.write('502 not implemented\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Undoes quoted-printable soft breaks and escapes (RFC 2045 §6.7), enough to read a test message. */
export function decodeQuotedPrintable(text: string): string {
  return text
    .replace(/=\r\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
