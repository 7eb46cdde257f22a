/**
 * What the rest of Gatehouse tells the metrics (metrics/registry.ts implements it per node). Stores
 * and routes reach the node's sink through the request context (audit/context.ts); jobs are handed
 * it. Labels are bounded sets chosen here, never a path, a token or a user name.
 */
import type { AuditEventType } from '../audit/types';

export type OtpRequestResult = 'sent' | 'throttled' | 'unknown_user' | 'disabled' | 'error';
export type DeliveryResult = 'delivered' | 'failed' | 'retried' | 'dead';

export interface MetricsSink {
  /** One answered HTTP request, by method, route TEMPLATE (never the raw path) and status. */
  httpRequest(method: string, route: string, status: number, seconds: number): void;
  /** An audit event committed: sign-ins, lockouts and refresh-token reuse are counted from these. */
  auditEvent(type: AuditEventType, data: Readonly<Record<string, unknown>>): void;
  /** A request refused by one of the rate limits (security/rate-limits.ts), by the limit's name. */
  rateLimited(limit: string): void;
  /** A token issued at the token endpoint, by grant type and client id. */
  tokenIssued(grantType: string, clientId: string): void;
  /** /api/request-otp and the extension grant's code requests, by result. */
  otpRequested(result: OtpRequestResult): void;
  /** A one-time code or link handed to the delivery (log, webhook, smtp), by result. */
  otpDelivered(channel: string, result: 'delivered' | 'failed'): void;
  /** A webhook attempt, by result. */
  webhookDelivery(result: DeliveryResult): void;
  /** One run of the purge job, with the rows it deleted per table. */
  purgeRun(deleted: Readonly<Record<string, number>>): void;
}
