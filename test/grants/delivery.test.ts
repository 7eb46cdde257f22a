/**
 * Code delivery over the real outside: the log (development), an SMTP server the test runs, and a
 * webhook that times out, fails and recovers. A failed delivery is logged and the caller sees the
 * same 202 as always.
 */
import { OTP_GRANT } from '../../src/oidc/grants/names';
import { requestOtp, tokenRequest } from '../support/http';
import {
  decodeQuotedPrintable,
  startSmtpReceiver,
  startWebhookReceiver,
  webhookDelivery,
  type SmtpReceiver,
  type WebhookReceiver,
} from '../support/receivers';
import { startLoggedNode, type LoggedNode } from '../support/server';
import { eventually } from '../support/wait';

const exchange = (node: LoggedNode, username: string, otp: string) =>
  tokenRequest(node.issuer, { grant_type: OTP_GRANT, username, otp, scope: 'openid' });

describe('OTP_DELIVERY=log', () => {
  let node: LoggedNode;

  beforeAll(async () => {
    node = await startLoggedNode({ OTP_DELIVERY: 'log' });
  });

  afterAll(async () => {
    await node?.stop();
  });

  it('prints the code as one_time_code, and that code works', async () => {
    expect((await requestOtp(node.issuer, 'alice')).status).toBe(202);
    const line = await eventually(() => node.logs.find((l) => l.one_time_code && l.username === 'alice'));
    expect(line.one_time_code).toMatch(/^\d{6}$/);
    expect(line.expires_at).toEqual(expect.any(String));
    expect((await exchange(node, 'alice', line.one_time_code as string)).status).toBe(200);
  });

  it('prints nothing for an unknown name', async () => {
    await requestOtp(node.issuer, 'nobody-known');
    await requestOtp(node.issuer, 'admin');
    await eventually(() => node.logs.find((l) => l.one_time_code && l.username === 'admin'));
    expect(node.logs.filter((l) => l.username === 'nobody-known')).toEqual([]);
  });
});

describe('OTP_DELIVERY=smtp', () => {
  let node: LoggedNode;
  let smtp: SmtpReceiver;

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    node = await startLoggedNode({
      OTP_DELIVERY: 'smtp',
      SMTP_URL: smtp.url,
      SMTP_FROM: 'Gatehouse <no-reply@gatehouse.test>',
    });
  });

  afterAll(async () => {
    await node?.stop();
    await smtp?.close();
  });

  it("mails a text and HTML message with the code to the account's address", async () => {
    expect((await requestOtp(node.issuer, 'alice')).status).toBe(202);
    const message = await eventually(() => smtp.messages.find((m) => m.to.includes('<alice@example.com>')));
    expect(message.from).toBe('<no-reply@gatehouse.test>');
    const data = decodeQuotedPrintable(message.data);
    const code = /^Subject: Your sign-in code: (\d{6})$/m.exec(data)?.[1];
    expect(code).toMatch(/^\d{6}$/);
    expect(data).toMatch(/Content-Type: multipart\/alternative/i);
    expect(data).toMatch(/Content-Type: text\/plain/i);
    expect(data).toMatch(/Content-Type: text\/html/i);
    expect(data).toContain(`your sign-in code is ${code}`);
    expect(data).toContain(`<strong style="font-size:1.5em;letter-spacing:0.2em">${code}</strong>`);
    expect((await exchange(node, 'alice', code!)).status).toBe(200);
  });

  it('logs a failure for an account without an address and answers 202 all the same', async () => {
    await node.services.accounts.create({ username: 'no-mail', password: 'no-mail-pass' });
    const res = await requestOtp(node.issuer, 'no-mail');
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'accepted', expires_in: 300 });
    const failure = await eventually(() =>
      node.logs.find((l) => l.msg === 'one-time code delivery failed' && l.username === 'no-mail'),
    );
    expect(failure.delivery).toBe('smtp');
  });
});

describe('OTP_DELIVERY=webhook failures', () => {
  let node: LoggedNode;
  let hook: WebhookReceiver;

  beforeAll(async () => {
    hook = await startWebhookReceiver();
    node = await startLoggedNode({ ...webhookDelivery(hook), OTP_WEBHOOK_TIMEOUT_MS: '200' });
  });

  afterAll(async () => {
    await node?.stop();
    await hook?.close();
  });

  it('retries after a timeout and a 503 with the same body, signature and delivery id', async () => {
    hook.respond.push('hang', 503, 204);
    expect((await requestOtp(node.issuer, 'alice')).status).toBe(202);
    const third = await hook.forUser('alice', 3);
    const [first, second] = [await hook.forUser('alice', 1), await hook.forUser('alice', 2)];
    for (const d of [second, third]) {
      expect(d.raw).toBe(first.raw);
      expect(d.headers['x-gatehouse-signature']).toBe(first.headers['x-gatehouse-signature']);
      expect(d.headers['x-gatehouse-delivery']).toBe(first.headers['x-gatehouse-delivery']);
    }
    await eventually(() =>
      node.logs.find((l) => l.msg === 'one-time code delivered' && l.username === 'alice'),
    );
    expect((await exchange(node, 'alice', third.json.code)).status).toBe(200);
  });

  it('gives up after three attempts, logs the failure without the code, and answers 202 all the same', async () => {
    hook.respond.push(500, 500, 500);
    const res = await requestOtp(node.issuer, 'admin');
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'accepted', expires_in: 300 });
    const failure = await eventually(() =>
      node.logs.find((l) => l.msg === 'one-time code delivery failed' && l.username === 'admin'),
    );
    expect(hook.deliveries.filter((d) => d.json.username === 'admin')).toHaveLength(3);
    const { code } = hook.deliveries.find((d) => d.json.username === 'admin')!.json;
    expect(JSON.stringify(failure)).not.toContain(code);
    expect(JSON.stringify(failure)).toContain('webhook answered 500');
  });

  it('does not retry a 4xx answer', async () => {
    await node.services.accounts.create({ username: 'four-oh', password: 'four-oh-pass' });
    hook.respond.push(400);
    await requestOtp(node.issuer, 'four-oh');
    await eventually(() =>
      node.logs.find((l) => l.msg === 'one-time code delivery failed' && l.username === 'four-oh'),
    );
    expect(hook.deliveries.filter((d) => d.json.username === 'four-oh')).toHaveLength(1);
  });
});
