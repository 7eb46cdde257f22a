/**
 * OTP_DELIVERY=smtp: a text and HTML message with the code to the account's email address, through
 * nodemailer with SMTP_URL. smtps:// is TLS from the start; smtp:// upgrades with STARTTLS when the
 * server offers it, and in production (unless SMTP_INSECURE=true) must: a server that does not offer
 * it, or a STARTTLS stripped on the way, fails the delivery instead of sending the code in clear.
 */
import nodemailer from 'nodemailer';
import type { IssuedOtp } from '../otp';
import type { LinkEvent, LinkMessage, OtpDelivery } from './types';

export interface SmtpOptions {
  url: string;
  from: string;
  ttlSeconds: number;
  /** smtp:// must upgrade with STARTTLS (nodemailer's requireTLS) or fail. */
  requireTls?: boolean;
}

/**
 * SMTP_URL with `requireTLS=true` among its parameters when TLS is required: nodemailer lets the
 * URL's parameters override the transport's options, so a `?requireTLS=false` there would win.
 */
function transportUrl(options: SmtpOptions): string {
  if (!options.requireTls) return options.url;
  const url = new URL(options.url);
  url.searchParams.set('requireTLS', 'true');
  return url.toString();
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function otpMessage(
  otp: IssuedOtp,
  ttlSeconds: number,
): { subject: string; text: string; html: string } {
  const minutes = Math.max(1, Math.round(ttlSeconds / 60));
  const validity = `It is valid for ${minutes} minute${minutes === 1 ? '' : 's'} and can be used once.`;
  const ignore = 'If you did not ask for it, you can ignore this message.';
  return {
    subject: `Your sign-in code: ${otp.code}`,
    text: `Hello ${otp.account.username},\n\nyour sign-in code is ${otp.code}\n\n${validity}\n${ignore}\n`,
    html:
      `<p>Hello ${escapeHtml(otp.account.username)},</p>` +
      `<p>your sign-in code is <strong style="font-size:1.5em;letter-spacing:0.2em">${otp.code}</strong></p>` +
      `<p>${validity}<br>${ignore}</p>`,
  };
}

const LINK_TEXT: Record<LinkEvent, { subject: string; intro: string; action: string }> = {
  'password_reset.requested': {
    subject: 'Reset your password',
    intro: 'someone (we hope you) asked to reset the password of your account.',
    action: 'Choose a new password',
  },
  'email_verification.requested': {
    subject: 'Confirm your e-mail address',
    intro: 'please confirm that this is your e-mail address.',
    action: 'Confirm the address',
  },
  'invitation.requested': {
    subject: 'You are invited',
    intro: 'you are invited to create an account.',
    action: 'Create your account',
  },
};

export function linkMessage(link: LinkMessage): { subject: string; text: string; html: string } {
  const words = LINK_TEXT[link.event];
  const name = link.to.username ?? link.to.email ?? '';
  const until = `The link works once, until ${link.expiresAt.toUTCString()}.`;
  const ignore = 'If you did not ask for it, you can ignore this message.';
  return {
    subject: words.subject,
    text: `Hello ${name},\n\n${words.intro}\n\n${words.action}: ${link.url}\n\n${until}\n${ignore}\n`,
    html:
      `<p>Hello ${escapeHtml(name)},</p><p>${words.intro}</p>` +
      `<p><a href="${escapeHtml(link.url)}">${words.action}</a></p>` +
      `<p>${until}<br>${ignore}</p>`,
  };
}

export function createSmtpDelivery(options: SmtpOptions): OtpDelivery {
  const transport = nodemailer.createTransport({
    url: transportUrl(options),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  } as Parameters<typeof nodemailer.createTransport>[0]);
  // Built once per node and closed with it; what is sent after that would go out on a transport the
  // node no longer owns, so it is refused instead.
  let closed = false;
  return {
    method: 'smtp',
    async send(otp) {
      if (closed) throw new Error('the SMTP delivery is closed');
      if (!otp.account.email) throw new Error('the account has no email address');
      await transport.sendMail({
        from: options.from,
        to: otp.account.email,
        ...otpMessage(otp, options.ttlSeconds),
      });
    },
    async sendLink(link) {
      if (closed) throw new Error('the SMTP delivery is closed');
      if (!link.to.email) throw new Error('the account has no email address');
      await transport.sendMail({ from: options.from, to: link.to.email, ...linkMessage(link) });
    },
    close() {
      closed = true;
      transport.close();
    },
  };
}
