/**
 * What every command runs with: the configuration (the same environment and .env as the server),
 * the output, and the stores a node opens (services.ts), opened on first use and closed when the
 * command ends.
 */
import os from 'node:os';
import type { Command } from 'commander';
import { runWithContext } from '../audit/context';
import { loadConfig, type Config } from '../config';
import pino from 'pino';
import { createLogger, type Logger } from '../log';
import { openServices, type Services } from '../services';
import { Output } from './output';

export interface GlobalOptions {
  json?: boolean;
  debug?: boolean;
}

export class CommandContext {
  private configValue: Config | undefined;
  private opened: Promise<Services> | undefined;
  private auditLogger: Logger | undefined;

  constructor(
    readonly out: Output,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  get config(): Config {
    this.configValue ??= loadConfig(this.env);
    return this.configValue;
  }

  /** The database (migrated, exactly as a server opens it) and the stores. */
  services(): Promise<Services> {
    // The CLI prints its own results; nothing below it should write log lines into them. A command
    // reaches a running server's embedded database through its socket, or holds the files for its run.
    this.opened ??= openServices(this.config, { logger: createLogger('silent'), role: 'command' });
    return this.opened;
  }

  /**
   * The audit log of commands that change who can sign in (an MFA reset): JSON lines at LOG_LEVEL on
   * stderr, as the server logs them; stdout stays the command's result. Written synchronously: the
   * process may exit right after the command.
   */
  get audit(): Logger {
    this.auditLogger ??= createLogger(this.config.logLevel, pino.destination({ dest: 2, sync: true }));
    return this.auditLogger;
  }

  async close(): Promise<void> {
    if (!this.opened) return;
    const services = await this.opened.catch(() => undefined);
    await services?.db.destroy();
  }
}

export type CommandAction<O> = (ctx: CommandContext, args: string[], options: O) => Promise<void>;

/**
 * Adapts a command function to commander: builds the context from the global options, runs the
 * command with its positional arguments and options, and always closes the database.
 */
export function action<O>(run: CommandAction<O>) {
  return async (...params: unknown[]): Promise<void> => {
    const command = params[params.length - 1] as Command;
    const globals = command.optsWithGlobals<GlobalOptions>();
    const ctx = new CommandContext(new Output(Boolean(globals.json)));
    // The audit trail names the CLI and the OS user who ran the command as the actor of its changes.
    const context = {
      requestId: null,
      ip: null,
      userAgent: null,
      actor: { type: 'cli' as const, id: osUser() },
    };
    await runWithContext(context, async () => {
      try {
        await run(ctx, command.args, command.opts<O & object>());
      } finally {
        await ctx.close();
      }
    });
  };
}

/** The OS user running the command (userInfo throws for a uid without a passwd entry). */
function osUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER || 'unknown';
  }
}
