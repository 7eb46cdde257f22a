/**
 * What every delivery of one-time codes and single-use links is: the interface the log, webhook and SMTP deliveries
 * implement and the integrator routes use. Its own module, so the deliveries and the factory that
 * picks one (index.ts) import it without importing each other.
 */
import type { Config } from '../../config';
import type { IssuedOtp } from '../otp';

/** What a single-use link is for: the webhook's `event`, the e-mail's subject. */
export type LinkEvent = 'password_reset.requested' | 'email_verification.requested' | 'invitation.requested';

/** A single-use link (action-tokens.ts) on its way to a person. */
export interface LinkMessage {
  event: LinkEvent;
  /** Who it is for: an account (a reset, a changed address), or only an address (sign-up, invitation). */
  to: { email: string | null; username: string | null; sub: string | null; phoneNumber: string | null };
  /** The page that spends the token (it is in the URL's query). */
  url: string;
  token: string;
  expiresAt: Date;
}

export interface OtpDelivery {
  readonly method: Config['otp']['delivery'];
  /** Sends the code; rejects when it could not be delivered. */
  send(otp: IssuedOtp): Promise<void>;
  /** Sends a single-use link (a password reset, an e-mail verification, an invitation). */
  sendLink(link: LinkMessage): Promise<void>;
  /** Releases connections (SMTP). */
  close(): void;
}
