/**
 * Structured logging (pino: JSON lines, cheap on the hot path). Anything that could carry a secret is
 * redacted by path, so a careless log line cannot print a password, a secret or a token.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'password',
  '*.password',
  'client_secret',
  '*.client_secret',
  'secret',
  '*.secret',
  'otp',
  '*.otp',
  'code',
  '*.code',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["x-service-key"]',
  'password_hash',
  '*.password_hash',
];

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'gatehouse' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  });
}
