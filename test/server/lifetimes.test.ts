/**
 * What a node builds once lives as long as the node: a key rotation rebuilds the provider and the
 * routes bound to it, but not the delivery of one-time codes (its SMTP transport), which the rebuilt
 * routes share; and close() closes that delivery, so none is left behind.
 */
import type { Account } from '../../src/accounts/store';
import { requestOtp } from '../support/http';
import { startSmtpReceiver, type SmtpReceiver } from '../support/receivers';
import { startLoggedNode, startTestServer, type LoggedNode } from '../support/server';
import { eventually } from '../support/wait';

const SMTP = (smtp: SmtpReceiver) => ({
  OTP_DELIVERY: 'smtp',
  SMTP_URL: smtp.url,
  SMTP_FROM: 'Gatehouse <no-reply@gatehouse.test>',
});

const mailsTo = (smtp: SmtpReceiver, address: string) =>
  smtp.messages.filter((m) => m.to.includes(`<${address}>`)).length;

describe('a key rotation', () => {
  let smtp: SmtpReceiver;
  let node: LoggedNode;

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    node = await startLoggedNode(SMTP(smtp));
  });

  afterAll(async () => {
    await node?.stop();
    await smtp?.close();
  });

  it('rebuilds the provider and keeps the one delivery, which the rebuilt routes use', async () => {
    const { delivery, provider } = node;
    expect((await requestOtp(node.issuer, 'alice')).status).toBe(202);
    await eventually(() => (mailsTo(smtp, 'alice@example.com') === 1 ? true : undefined));

    await node.services.keys.rotate(3600);
    expect(await node.refreshKeys()).toBe(true);
    expect(node.provider).not.toBe(provider);
    expect(node.delivery).toBe(delivery);

    expect((await requestOtp(node.issuer, 'admin')).status).toBe(202);
    await eventually(() => (mailsTo(smtp, 'admin@example.com') === 1 ? true : undefined));

    // The routes of the new provider send through the node's delivery itself: once it is closed,
    // their next code fails to go out (the caller sees the same 202, the failure is logged).
    await node.services.accounts.create({
      username: 'carol',
      password: 'password123',
      email: 'carol@example.com',
    });
    delivery.close();
    expect((await requestOtp(node.issuer, 'carol')).status).toBe(202);
    const failure = await eventually(() =>
      node.logs.find((l) => l.msg === 'one-time code delivery failed' && l.username === 'carol'),
    );
    expect((failure.err as { message?: string }).message).toBe('the SMTP delivery is closed');
    expect(mailsTo(smtp, 'carol@example.com')).toBe(0);
  });
});

describe('close()', () => {
  let smtp: SmtpReceiver;

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
  });

  afterAll(async () => {
    await smtp?.close();
  });

  it('closes the delivery: it sends nothing more', async () => {
    const node = await startTestServer({ env: SMTP(smtp) });
    const { delivery } = node;
    await node.stop();
    const account = { id: 'account-1', username: 'mail-user', email: 'mail-user@example.com' } as Account;
    await expect(
      delivery.send({ account, code: '123456', expiresAt: new Date(Date.now() + 300_000) }),
    ).rejects.toThrow('the SMTP delivery is closed');
    expect(smtp.messages).toEqual([]);
  });
});
