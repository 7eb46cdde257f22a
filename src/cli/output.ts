/**
 * What commands print. The result goes to stdout: JSON with --json (for scripts), plain text
 * otherwise. Notes for the person at the terminal (warnings, hints) go to stderr, so a script that
 * reads stdout only ever sees the result.
 */
export interface Streams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export class Output {
  constructor(
    readonly json: boolean,
    readonly streams: Streams = { stdout: process.stdout, stderr: process.stderr },
  ) {}

  /** Prints the command's result: `value` as JSON with --json, else the text `human()` returns. */
  result(value: unknown, human: () => string): void {
    const text = this.json ? JSON.stringify(value, null, 2) : human();
    if (text) this.streams.stdout.write(`${text}\n`);
  }

  /** A note for the person at the terminal (stderr). */
  note(text: string): void {
    this.streams.stderr.write(`${text}\n`);
  }

  /** True when stderr is a terminal and the output is not for a script: progress bars, prompts. */
  get interactive(): boolean {
    return !this.json && Boolean(this.streams.stderr.isTTY);
  }
}

/** A plain text table: a header row, then rows, columns padded to their widest cell. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** `key: value` lines with the values aligned. */
export function fields(entries: [string, string][]): string {
  const width = Math.max(...entries.map(([k]) => k.length)) + 1;
  return entries.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`.trimEnd()).join('\n');
}

export function formatDate(date: Date | string | null | undefined): string {
  if (!date) return '-';
  return new Date(date).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function list(values: readonly string[] | undefined): string {
  return values?.length ? values.join(',') : '-';
}
