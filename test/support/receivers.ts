/**
 * Receivers standing in for the outside world a node delivers to: a webhook endpoint (one-time codes,
 * signed) and an SMTP server, each on a free port of 127.0.0.1, with what a test needs to read what
 * they received.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { eventually } from './wait';

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

export type WebhookReceiver = Awaited<ReturnType<typeof startWebhookReceiver>>;
export type SmtpReceiver = Awaited<ReturnType<typeof startSmtpReceiver>>;

/** The secret test nodes sign webhook deliveries with. */
export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789';

/** The environment of a node that delivers one-time codes to `hook`, signed with WEBHOOK_SECRET. */
export function webhookDelivery(hook: WebhookReceiver): Record<string, string> {
  return { OTP_DELIVERY: 'webhook', OTP_WEBHOOK_URL: hook.url, OTP_WEBHOOK_SECRET: WEBHOOK_SECRET };
}
