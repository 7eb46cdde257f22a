/**
 * The node's periodic look at the signing keys (KEYS_REFRESH_INTERVAL): another node or the CLI may
 * have rotated or retired keys in the database, and `refresh` rebuilds the provider when they did.
 */
import type { Logger } from '../log';
import { startJob, type Job } from './job';

export interface KeyRefreshJobDeps {
  /** Checks the keys and rebuilds what is bound to them; resolves whether anything changed. */
  refresh(): Promise<boolean>;
  logger: Logger;
  /** KEYS_REFRESH_INTERVAL seconds; 0 turns the job off. */
  intervalSeconds: number;
}

export function startKeyRefreshJob(deps: KeyRefreshJobDeps): Job {
  return startJob({
    intervalSeconds: deps.intervalSeconds,
    async run() {
      await deps.refresh();
    },
    onError: (err) => deps.logger.warn({ err }, 'key refresh failed'),
  });
}
