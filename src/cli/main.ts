/**
 * `gatehouse` (bin/gatehouse.js) and `npm run cli -- …`: runs one command and exits with 0 on
 * success, 1 on an error, 2 on bad usage. Errors are one line on stderr; --debug adds the stack.
 */
import dotenv from 'dotenv';
import { CommanderError } from 'commander';
import { PasswordRuleError } from '../accounts/password-rules';
import { CliError } from './errors';
import { createProgram } from './program';
import { register as registerConformance } from './commands/conformance';

function describe(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] || err.name;
  return String(err);
}

/**
 * stdout carries results only (scripts parse it), and the CLI writes them itself. Libraries that log
 * through the console (knex's "Acquire connection error" and its stack, for one) are silenced; with
 * --debug they go to stderr.
 */
function quietLibraries(debug: boolean): void {
  const toStderr = (...args: unknown[]) => console.error(...args);
  const silent = () => undefined;
  console.log = console.info = console.warn = console.debug = debug ? toStderr : silent;
}

export async function run(argv: string[] = process.argv): Promise<number> {
  // The same .env as the server; variables already set win (dotenv never overrides them).
  dotenv.config({ quiet: true });
  const debug = argv.includes('--debug');
  quietLibraries(debug);
  const program = createProgram();
  registerConformance(program);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed its message (or the help) already.
      if (err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version')
        return 0;
      return 2;
    }
    process.stderr.write(`gatehouse: ${describe(err)}\n`);
    if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    // A password the rules refuse is a bad command line, like one the CLI's own check refuses.
    if (err instanceof PasswordRuleError) return 2;
    return err instanceof CliError ? err.exitCode : 1;
  }
}

if (require.main === module) {
  run().then((code) => {
    process.exitCode = code;
  });
}
