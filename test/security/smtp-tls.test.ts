/**
 * One-time codes by mail in production: an smtp:// SMTP_URL must upgrade with STARTTLS, so a plain
 * SMTP server that does not offer it gets nothing; SMTP_INSECURE=true allows it (a local relay), and
 * outside production the code goes out as before, upgraded only when the server offers STARTTLS.
 */
import pino from 'pino';
import type { Account } from '../../src/accounts/store';
import { createOtpDelivery, type OtpDelivery } from '../../src/accounts/delivery';
import { loadConfig } from '../../src/config';
import { startSmtpReceiver, type SmtpReceiver } from '../support/receivers';

const production = {
  NODE_ENV: 'production',
  ISSUER: 'https://id.example.com',
  SECRET_KEY: 'a-production-secret-of-at-least-32-characters',
  OTP_DELIVERY: 'smtp',
  SMTP_FROM: 'Gatehouse <no-reply@gatehouse.test>',
};

const account = {
  id: 'account-1',
  username: 'mail-user',
  email: 'mail-user@example.com',
} as Account;

let smtp: SmtpReceiver;
let delivery: OtpDelivery | undefined;

function deliveryFor(env: Record<string, string>): OtpDelivery {
  delivery = createOtpDelivery(loadConfig(env).otp, pino({ level: 'silent' }));
  return delivery;
}

const send = (d: OtpDelivery, code: string) =>
  d.send({ account, code, expiresAt: new Date(Date.now() + 300_000) });

beforeEach(async () => {
  smtp = await startSmtpReceiver();
});

afterEach(async () => {
  delivery?.close();
  delivery = undefined;
  await smtp.close();
});

describe('NODE_ENV=production', () => {
  it('requires STARTTLS of an smtp:// server', () => {
    expect(loadConfig({ ...production, SMTP_URL: smtp.url }).otp.smtpRequireTls).toBe(true);
  });

  it('refuses to send to a plain SMTP server that does not offer STARTTLS', async () => {
    const refusing = deliveryFor({ ...production, SMTP_URL: smtp.url });
    await expect(send(refusing, '111111')).rejects.toThrow(/STARTTLS/);
    expect(smtp.messages).toEqual([]);
  });

  it('refuses all the same when SMTP_URL itself says requireTLS=false', async () => {
    const refusing = deliveryFor({ ...production, SMTP_URL: `${smtp.url}?requireTLS=false` });
    await expect(send(refusing, '222222')).rejects.toThrow(/STARTTLS/);
    expect(smtp.messages).toEqual([]);
  });

  it('sends over plain SMTP with SMTP_INSECURE=true', async () => {
    const insecure = deliveryFor({ ...production, SMTP_URL: smtp.url, SMTP_INSECURE: 'true' });
    await send(insecure, '333333');
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]).toMatchObject({ to: ['<mail-user@example.com>'] });
    expect(smtp.messages[0]!.data).toContain('Subject: Your sign-in code: 333333');
  });
});

describe('outside production', () => {
  it('sends over plain SMTP as before', async () => {
    const development = deliveryFor({ OTP_DELIVERY: 'smtp', SMTP_URL: smtp.url });
    expect(loadConfig({ OTP_DELIVERY: 'smtp', SMTP_URL: smtp.url }).otp.smtpRequireTls).toBe(false);
    await send(development, '444444');
    expect(smtp.messages).toHaveLength(1);
  });
});
