/**
 * The CLI's own errors. A stable `code` says what went wrong; the exit code follows from it:
 * 2 when the command line itself is wrong (bad usage), 1 for everything else.
 */
export type CliErrorCode = 'usage' | 'not_found' | 'conflict' | 'refused' | 'interrupted';

export class CliError extends Error {
  readonly exitCode: 1 | 2;

  constructor(
    readonly code: CliErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
    this.exitCode = code === 'usage' ? 2 : 1;
  }
}

export const usageError = (message: string) => new CliError('usage', message);
export const notFound = (message: string) => new CliError('not_found', message);
export const conflict = (message: string) => new CliError('conflict', message);
export const refused = (message: string) => new CliError('refused', message);
