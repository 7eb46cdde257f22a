/**
 * Reading a password: from stdin with --password-stdin (for scripts), else asked twice on the
 * terminal without echo. Never from an argument: arguments end up in shell history and `ps`.
 */
import { MAX_PASSWORD_LENGTH } from '../accounts/password-rules';
import { CliError, usageError } from './errors';

/** The least any configuration allows; the store checks PASSWORD_MIN_LENGTH itself (password-rules.ts). */
export const MIN_PASSWORD_LENGTH = 8;

export interface PasswordInput {
  input: NodeJS.ReadStream;
  output: NodeJS.WritableStream;
}

export function checkPassword(password: string): string {
  if ([...password].length < MIN_PASSWORD_LENGTH)
    throw usageError(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  if ([...password].length > MAX_PASSWORD_LENGTH)
    throw usageError(`the password must have at most ${MAX_PASSWORD_LENGTH} characters`);
  // bcrypt would stop reading at it (PasswordHasher refuses it too).
  if (password.includes('\0')) throw usageError('the password must not contain a NUL character');
  return password;
}

async function readAll(input: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/** Asks for one line on the terminal with echo off (raw mode); Ctrl-C and Ctrl-D give up. */
function askHidden(prompt: string, io: PasswordInput): Promise<string> {
  const { input, output } = io;
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (error?: Error) => {
      input.removeListener('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || (ch === '\u0004' && !value))
          return finish(new CliError('interrupted', 'no password given'));
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
      return undefined;
    };
    // Echo off before the prompt shows: whatever is typed once it shows must never appear.
    input.setRawMode(true);
    input.resume();
    input.on('data', onData);
    output.write(prompt);
  });
}

export async function readPassword(
  options: { fromStdin: boolean },
  io: PasswordInput = { input: process.stdin, output: process.stderr },
): Promise<string> {
  if (options.fromStdin) {
    // One trailing newline is the end of the line, not part of the password (`echo pw | …`).
    const password = (await readAll(io.input)).replace(/\r?\n$/, '');
    return checkPassword(password);
  }
  if (!io.input.isTTY)
    throw usageError('no terminal to ask for the password: pipe it in with --password-stdin');
  const password = checkPassword(await askHidden('Password: ', io));
  if ((await askHidden('Repeat password: ', io)) !== password) throw usageError('the two passwords differ');
  return password;
}
