/**
 * A webhook receiver on 127.0.0.1, as an operator would write one: every POST is verified with the
 * `standardwebhooks` package (`new Webhook(secret).verify(body, headers)`) and recorded with the
 * result. `respond` queues answers (a status, or 'drop' to cut the connection), `delayMs` slows them;
 * `down()` closes the port (connections refused) and `up()` opens the same port again.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { eventually } from '../support/wait';

export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  contentType: string | undefined;
  raw: string;
  body: {
    type: string;
    timestamp: string;
    data: {
      event_id: string;
      actor: { type: string; id: string | null };
      target: { type: string; id: string | null } | null;
      request_id: string | null;
      details: Record<string, unknown>;
    };
  };
  /** Whether verify() accepted it with the receiver's secret. */
  verified: boolean;
  /** What this receiver answered. */
  answered: number | 'drop';
  at: number;
}

export async function startReceiver() {
  const received: Received[] = [];
  const respond: (number | 'drop')[] = [];
  const state = { secret: '', delayMs: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const headers = req.headers as Record<string, string>;
      let verified = false;
      try {
        new Webhook(state.secret).verify(raw, headers);
        verified = true;
      } catch {
        verified = false;
      }
      const answer = respond.shift() ?? 200;
      received.push({
        id: headers['webhook-id'] ?? '',
        timestamp: headers['webhook-timestamp'] ?? '',
        signature: headers['webhook-signature'] ?? '',
        contentType: headers['content-type'],
        raw,
        body: JSON.parse(raw) as Received['body'],
        verified,
        answered: answer,
        at: Date.now(),
      });
      setTimeout(() => {
        if (answer === 'drop') res.socket?.destroy();
        else res.writeHead(answer).end();
      }, state.delayMs);
    });
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const { port } = server.address() as AddressInfo;
  const close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    url: `http://127.0.0.1:${port}/hooks/gatehouse`,
    received,
    respond,
    /** The endpoint's signing secret, once created: every delivery is verified with it. */
    set secret(value: string) {
      state.secret = value;
    },
    /** How long each answer takes. */
    set delayMs(value: number) {
      state.delayMs = value;
    },
    /** The deliveries of one message id (`webhook-id`). */
    of(id: string): Received[] {
      return received.filter((r) => r.id === id);
    },
    /** Waits until `n` deliveries of one event type (and target id, when given) have arrived. */
    async waitFor(type: string, n = 1, targetId?: string, timeoutMs = 15_000): Promise<Received[]> {
      return eventually(() => {
        const found = received.filter(
          (r) => r.body.type === type && (targetId === undefined || r.body.data.target?.id === targetId),
        );
        return found.length >= n ? found : undefined;
      }, timeoutMs);
    },
    down: close,
    up: () => listen(port),
    close: async () => {
      if (server.listening) await close();
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
