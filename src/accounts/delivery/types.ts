/**
 * What every delivery of one-time codes is: the interface the log, webhook and SMTP deliveries
 * implement and the integrator routes use. Its own module, so the deliveries and the factory that
 * picks one (index.ts) import it without importing each other.
 */
import type { Config } from '../../config';
import type { IssuedOtp } from '../otp';

export interface OtpDelivery {
  readonly method: Config['otp']['delivery'];
  /** Sends the code; rejects when it could not be delivered. */
  send(otp: IssuedOtp): Promise<void>;
  /** Releases connections (SMTP). */
  close(): void;
}
