/**
 * OTP_DELIVERY=webhook: a JSON POST to OTP_WEBHOOK_URL with the code, signed with HMAC-SHA256 over
 * the exact body bytes (`X-Gatehouse-Signature: sha256=<hex>`, key OTP_WEBHOOK_SECRET). Each attempt
 * has a timeout; network errors, timeouts, 408, 429 and 5xx are retried with the same body, signature
 * and `X-Gatehouse-Delivery` id, so the receiver can drop duplicates.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IssuedOtp } from '../otp';
import type { LinkMessage, OtpDelivery } from './types';

export interface WebhookOptions {
  url: string;
  secret: string;
  timeoutMs: number;
  /** Waits before the 2nd, 3rd, ... attempt; its length + 1 is the number of attempts. */
  retryDelaysMs?: number[];
}

export const SIGNATURE_HEADER = 'X-Gatehouse-Signature';
export const DELIVERY_HEADER = 'X-Gatehouse-Delivery';

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** What the receiver gets; `sub` is the account id (the `sub` of its tokens). */
export function webhookPayload(otp: IssuedOtp): Record<string, string | null> {
  return {
    event: 'otp.requested',
    username: otp.account.username,
    sub: otp.account.id,
    email: otp.account.email,
    phone_number: otp.account.phoneNumber,
    code: otp.code,
    expires_at: otp.expiresAt.toISOString(),
  };
}

/** A single-use link's event: the page's `url`, and its `token` for a receiver that builds its own. */
export function linkWebhookPayload(link: LinkMessage): Record<string, string | null> {
  return {
    event: link.event,
    username: link.to.username,
    sub: link.to.sub,
    email: link.to.email,
    phone_number: link.to.phoneNumber,
    url: link.url,
    token: link.token,
    expires_at: link.expiresAt.toISOString(),
  };
}

class RetryableError extends Error {}

export function createWebhookDelivery(options: WebhookOptions): OtpDelivery {
  const delays = options.retryDelaysMs ?? [500, 2000];

  async function attempt(body: string, id: string): Promise<void> {
    let res: Response;
    try {
      res = await fetch(options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Gatehouse',
          [SIGNATURE_HEADER]: signBody(options.secret, body),
          [DELIVERY_HEADER]: id,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (err) {
      throw new RetryableError(`webhook request failed: ${(err as Error).message}`, { cause: err });
    }
    await res.body?.cancel();
    if (res.ok) return;
    const message = `webhook answered ${res.status}`;
    throw res.status >= 500 || res.status === 408 || res.status === 429
      ? new RetryableError(message)
      : new Error(message);
  }

  async function post(payload: Record<string, string | null>): Promise<void> {
    const body = JSON.stringify(payload);
    const id = randomUUID();
    for (let i = 0; ; i += 1) {
      try {
        return await attempt(body, id);
      } catch (err) {
        if (!(err instanceof RetryableError) || i >= delays.length) throw err;
        await sleep(delays[i]);
      }
    }
  }

  return {
    method: 'webhook',
    send: (otp) => post(webhookPayload(otp)),
    sendLink: (link) => post(linkWebhookPayload(link)),
    close() {},
  };
}
