/**
 * Delivery of one-time codes (OTP_DELIVERY): `log` prints the code (development only; the config
 * refuses it in production), `webhook` posts it signed to the integrator, `smtp` mails it to the
 * account's address, `disabled` sends nothing. A delivery runs after the answer to the caller and a
 * failure is only logged, so neither its time nor its outcome tells the caller anything.
 */
import { currentMetrics } from '../../audit/context';
import type { Config } from '../../config';
import type { Logger } from '../../log';
import type { IssuedOtp } from '../otp';
import { createSmtpDelivery } from './smtp';
import type { LinkMessage, OtpDelivery } from './types';
import { createWebhookDelivery } from './webhook';

export type { LinkEvent, LinkMessage, OtpDelivery } from './types';

function createLogDelivery(logger: Logger): OtpDelivery {
  return {
    method: 'log',
    async send(otp) {
      // Logged as `one_time_code`: the logger redacts fields named `code` and `otp`.
      logger.warn(
        { username: otp.account.username, one_time_code: otp.code, expires_at: otp.expiresAt.toISOString() },
        'one-time code (OTP_DELIVERY=log prints codes: development only)',
      );
    },
    async sendLink(link) {
      // `link`, not `url` or `token`: the logger redacts `token`, and this line exists to show it.
      logger.warn(
        {
          event: link.event,
          username: link.to.username,
          email: link.to.email,
          link: link.url,
          expires_at: link.expiresAt.toISOString(),
        },
        'single-use link (OTP_DELIVERY=log prints links: development only)',
      );
    },
    close() {},
  };
}

const disabledDelivery: OtpDelivery = {
  method: 'disabled',
  async send() {},
  async sendLink() {},
  close() {},
};

export function createOtpDelivery(config: Config['otp'], logger: Logger): OtpDelivery {
  switch (config.delivery) {
    case 'log':
      return createLogDelivery(logger);
    case 'webhook':
      return createWebhookDelivery({
        url: config.webhookUrl!,
        secret: config.webhookSecret!,
        timeoutMs: config.webhookTimeoutMs,
      });
    case 'smtp':
      return createSmtpDelivery({
        url: config.smtpUrl!,
        from: config.smtpFrom,
        ttlSeconds: config.ttlSeconds,
        requireTls: config.smtpRequireTls,
      });
    case 'disabled':
      return disabledDelivery;
  }
}

/** Starts a delivery without waiting for it; a failure is logged (without the code) and goes no further. */
export function deliverInBackground(delivery: OtpDelivery, otp: IssuedOtp, logger: Logger): Promise<void> {
  return delivery.send(otp).then(
    () => {
      currentMetrics()?.otpDelivered(delivery.method, 'delivered');
      logger.info({ username: otp.account.username, delivery: delivery.method }, 'one-time code delivered');
    },
    (err: unknown) => {
      currentMetrics()?.otpDelivered(delivery.method, 'failed');
      logger.error(
        { err, username: otp.account.username, delivery: delivery.method },
        'one-time code delivery failed',
      );
    },
  );
}

/** Starts sending a link without waiting for it; a failure is logged (without the link) and goes no further. */
export function deliverLinkInBackground(
  delivery: OtpDelivery,
  link: LinkMessage,
  logger: Logger,
): Promise<void> {
  const about = { event: link.event, username: link.to.username, delivery: delivery.method };
  return delivery.sendLink(link).then(
    () => {
      currentMetrics()?.otpDelivered(delivery.method, 'delivered');
      logger.info(about, 'link delivered');
    },
    (err: unknown) => {
      currentMetrics()?.otpDelivered(delivery.method, 'failed');
      logger.error({ err, ...about }, 'link delivery failed');
    },
  );
}
