/**
 * Hostile input values for the fuzz test, by class, and how each travels in a form or query string,
 * a JSON body, a header, a path segment or HTTP Basic credentials. A value is one of:
 * - text: characters, encoded as the carrier requires (percent-encoding of their UTF-8 bytes in a
 *   form, a JSON string in a body);
 * - raw: characters put verbatim into a form or query (percent-encoding garbage the server must
 *   decode itself), and as the same literal characters in JSON;
 * - typed: a JSON value of the wrong type (raw JSON text, so huge numbers and duplicate keys survive),
 *   with its closest form spelling (`name[]=…`, `name[k]=…`, which qs-style parsers turn into arrays
 *   and objects);
 * - dup: the parameter twice (a form key repeated, a JSON key repeated, a header sent twice);
 * - absent: the parameter left out.
 */
import fc from 'fast-check';

export type ValueClass =
  | 'nul'
  | 'surrogate'
  | 'long'
  | 'control'
  | 'unicode'
  | 'case-growth'
  | 'percent'
  | 'sql'
  | 'json-meta'
  | 'typed'
  | 'dup'
  | 'empty'
  // Values of one family each (Host headers, content types, origins, methods, paths, whole bodies).
  | 'host'
  | 'content-type'
  | 'origin'
  | 'method'
  | 'path'
  | 'body'
  | 'generated';

/** Stands for the parameter's valid value in a `dup` pair. */
export const BASELINE = Symbol('baseline');
type DupPart = string | typeof BASELINE;

export type Hostile =
  | { cls: ValueClass; kind: 'text'; s: string }
  | { cls: ValueClass; kind: 'raw'; s: string }
  | { cls: ValueClass; kind: 'typed'; json: string; form: (name: string) => string }
  | { cls: ValueClass; kind: 'dup'; pair: [DupPart, DupPart] }
  | { cls: ValueClass; kind: 'absent' };

/** fast-check shows a counterexample through this (70000 characters would bury the report). */
function shown<T extends Hostile>(value: T): T {
  Object.defineProperty(value, fc.toStringMethod, { value: () => describeValue(value), enumerable: false });
  return value;
}

export const text = (cls: ValueClass, s: string): Hostile => shown({ cls, kind: 'text', s });
export const raw = (cls: ValueClass, s: string): Hostile => shown({ cls, kind: 'raw', s });
const dup = (a: DupPart, b: DupPart): Hostile => shown({ cls: 'dup', kind: 'dup', pair: [a, b] });
/** The parameter left out (a header not sent, a member missing). */
export const ABSENT: Hostile = shown({ cls: 'empty', kind: 'absent' });

/** Percent-encodes the UTF-8 bytes of every character outside RFC 3986's unreserved set. */
export function pct(value: string): string {
  // Buffer.from turns a lone surrogate into U+FFFD, where encodeURIComponent would throw.
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** application/x-www-form-urlencoded (WHATWG URL §5.2): `pct`, with `+` for a space. */
export const formEncode = (value: string) => pct(value).replace(/%20/g, '+');

/** `name[key]=value` pairs in form encoding. */
const brackets = (pairs: [string, string][]) => (name: string) =>
  pairs.map(([suffix, value]) => `${formEncode(name)}${suffix}=${formEncode(value)}`).join('&');

function typed(json: string, pairs: [string, string][]): Hostile {
  return shown({ cls: 'typed', kind: 'typed', json, form: brackets(pairs) });
}

const nested = (depth: number) => `${'{"a":'.repeat(depth)}"x"${'}'.repeat(depth)}`;

/** Every class with its fixed values, the ones every parameter gets (EXAMPLES_PER_CLASS) first. */
export const CLASSES: Record<
  Exclude<ValueClass, 'generated' | 'host' | 'content-type' | 'origin' | 'method' | 'path' | 'body'>,
  Hostile[]
> = {
  nul: [
    text('nul', '\u0000'),
    text('nul', 'a\u0000b'),
    text('nul', 'alice\u0000'),
    text('nul', '\u0000\u0000'),
  ],
  surrogate: [
    text('surrogate', '\uD800'),
    text('surrogate', '\uDFFF'),
    text('surrogate', 'a\uD800b'),
    text('surrogate', '\uDC00\uD800'),
  ],
  long: [
    text('long', 'a'.repeat(151)),
    text('long', 'a'.repeat(70000)),
    text('long', 'a'.repeat(256)),
    text('long', 'x'.repeat(4096)),
    text('long', 'é'.repeat(151)),
    text('long', '😀'.repeat(151)),
  ],
  control: [
    text('control', '\u0001\u0002\u001b[31m\u007f'),
    text('control', 'a\r\nb'),
    text('control', '\u0085\u2028\u2029'),
    text('control', '\n'),
    text('control', '\t'),
    text('control', '\u202e\u200b\ufeff'),
    text('control', '\b\f\v'),
  ],
  unicode: [
    text('unicode', '😀'),
    text('unicode', 'e\u0301\u0301\u0301'),
    text('unicode', '\u{10FFFF}'),
    text('unicode', '👩‍👩‍👧‍👦'),
    text('unicode', 'Z\u0335\u0321\u031b\u0353\u0330a\u0338l\u0336g\u0337o\u0334'),
    text('unicode', '\uFFFF\uFFFE'),
    text('unicode', 'ａｄｍｉｎ'),
  ],
  'case-growth': [
    text('case-growth', 'İ'.repeat(100)),
    text('case-growth', 'İ'.repeat(150)),
    text('case-growth', 'ß'.repeat(150)),
    text('case-growth', 'Ⱥ'.repeat(150)),
    text('case-growth', 'ﬃ'.repeat(60)),
  ],
  percent: [
    raw('percent', '%00'),
    raw('percent', '%zz'),
    raw('percent', '%ED%A0%80'),
    raw('percent', '%C0%80'),
    raw('percent', '%'),
    raw('percent', '%%'),
    raw('percent', '%E2%82'),
    raw('percent', '%FF%FE'),
    raw('percent', '%u0000'),
    raw('percent', 'a%2'),
  ],
  sql: [
    text('sql', "' OR '1'='1"),
    text('sql', '\\'),
    text('sql', '%_%'),
    text('sql', "'"),
    text('sql', "'; DROP TABLE accounts; --"),
    text('sql', '" OR ""="'),
    text('sql', "\\'; --"),
    text('sql', '1 UNION SELECT password_hash FROM accounts'),
    text('sql', '%'),
    text('sql', '_'),
    text('sql', '$1'),
    text('sql', '?'),
    text('sql', '::text'),
    text('sql', "E'\\x00'"),
    text('sql', '/*'),
  ],
  'json-meta': [
    text('json-meta', '__proto__'),
    text('json-meta', '{"$ne":null}'),
    text('json-meta', '\\u0000'),
    text('json-meta', '{'),
    text('json-meta', '["a"]'),
    text('json-meta', '"'),
    text('json-meta', 'constructor'),
    text('json-meta', 'toString'),
    text('json-meta', 'null'),
    text('json-meta', 'true'),
    text('json-meta', 'NaN'),
  ],
  typed: [
    typed('123', [['', '123']]),
    typed('["a","b"]', [
      ['[]', 'a'],
      ['[]', 'b'],
    ]),
    typed('{"a":"b"}', [['[a]', 'b']]),
    typed('null', [['[]', '']]),
    typed('-1', [['', '-1']]),
    typed('1e999', [['', '1e999']]),
    typed('123456789012345678901234567890', [['', '123456789012345678901234567890']]),
    typed('1.5', [['', '1.5']]),
    typed('true', [['[]', 'true']]),
    typed('false', [['[0]', 'false']]),
    typed('[]', [['[]', '']]),
    typed('[null]', [['[0]', '']]),
    typed('{}', [['[a]', '']]),
    typed('{"__proto__":{"admin":true}}', [['[__proto__][admin]', 'true']]),
    typed(nested(64), [['[a][a][a][a][a][a][a][a]', 'x']]),
  ],
  dup: [dup(BASELINE, BASELINE), dup(BASELINE, 'x'), dup('', ''), dup('x', BASELINE)],
  empty: [text('empty', ''), ABSENT, text('empty', ' '), text('empty', '\u00a0'), text('empty', ' \t ')],
};

export const ALL_FIXED: Hostile[] = Object.values(CLASSES).flat();

/** How many of each class's first values every parameter gets in every run (the deterministic part). */
export const EXAMPLES_PER_CLASS: Record<keyof typeof CLASSES, number> = {
  nul: 3,
  surrogate: 2,
  long: 4,
  control: 2,
  unicode: 2,
  'case-growth': 2,
  percent: 3,
  sql: 2,
  'json-meta': 2,
  typed: 3,
  dup: 2,
  empty: 3,
};

const fragment = fc.constantFrom(
  '\u0000',
  '\uD800',
  '\uDFFF',
  '%',
  '%zz',
  "'",
  '"',
  '\\',
  '{',
  '😀',
  'İ',
  '\u0301',
  '\r\n',
  ';',
  '&',
  '=',
  '+',
  '#',
  '/',
  '..',
  ' ',
);

/** Random values: fixed ones, mixtures of dangerous fragments, and arbitrary code points. */
export const hostileValue: fc.Arbitrary<Hostile> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...ALL_FIXED) },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.oneof(fragment, fc.string({ unit: 'grapheme', maxLength: 6 })), {
        minLength: 1,
        maxLength: 8,
      })
      .map((parts) => text('generated', parts.join(''))),
  },
  {
    weight: 1,
    arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).map((s) => text('generated', s)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.string({ maxLength: 4 }), fc.constantFrom(...CLASSES.percent), fc.string({ maxLength: 4 }))
      .map(([a, p, b]) => raw('generated', `${formEncode(a)}${(p as { s: string }).s}${formEncode(b)}`)),
  },
);

// ---- carriers ---------------------------------------------------------------------------------------

/** The characters a string-typed reader receives (typed values as their JSON text). */
export function charactersOf(value: Hostile, baseline = 'x'): string {
  switch (value.kind) {
    case 'text':
    case 'raw':
      return value.s;
    case 'typed':
      return value.json;
    case 'dup':
      return value.pair.map((p) => (p === BASELINE ? baseline : p)).join(',');
    case 'absent':
      return '';
  }
}

/** One field of a form or query string: `name=value`, encoded as the value's kind says ('' if absent). */
export function formField(name: string, value: Hostile | string, baseline = 'x'): string {
  if (typeof value === 'string') return `${formEncode(name)}=${formEncode(value)}`;
  switch (value.kind) {
    case 'text':
      return `${formEncode(name)}=${formEncode(value.s)}`;
    case 'raw':
      return `${formEncode(name)}=${value.s}`;
    case 'typed':
      return value.form(name);
    case 'dup':
      return value.pair.map((p) => formField(name, p === BASELINE ? baseline : p)).join('&');
    case 'absent':
      return '';
  }
}

/** The JSON text of a value ('' if absent; a `dup` gives two comma-separated values). */
export function jsonValue(value: Hostile | string, baseline = 'x'): string {
  if (typeof value === 'string') return JSON.stringify(value);
  switch (value.kind) {
    case 'text':
    case 'raw':
      return JSON.stringify(value.s);
    case 'typed':
      return value.json;
    case 'dup':
      return value.pair.map((p) => JSON.stringify(p === BASELINE ? baseline : p)).join(',');
    case 'absent':
      return '';
  }
}

/** One member of a JSON object: `"name": value` (or the member twice; '' if absent). */
export function jsonMember(name: string, value: Hostile | string, baseline = 'x'): string {
  const key = JSON.stringify(name);
  if (typeof value !== 'string' && value.kind === 'dup')
    return value.pair.map((p) => jsonMember(name, p === BASELINE ? baseline : p)).join(',');
  if (typeof value !== 'string' && value.kind === 'absent') return '';
  return `${key}:${jsonValue(value, baseline)}`;
}

/** A path segment: text percent-encoded, raw verbatim (what the router must decode). */
export function pathSegment(value: Hostile, baseline = 'x'): string {
  if (value.kind === 'raw') return value.s;
  return pct(charactersOf(value, baseline));
}

const HEADER_SAFE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * A header value as bytes on the wire (UTF-8 sent as latin1 characters); null when HTTP cannot carry
 * it (NUL, CR, LF and other controls are refused by the client before they leave), undefined for a
 * header not sent. A `dup` value is the header sent twice.
 */
export function headerValue(
  value: Hostile,
  baseline = 'x',
  prefix = '',
): string | string[] | null | undefined {
  if (value.kind === 'absent') return undefined;
  const wire = (s: string) => Buffer.from(prefix + s, 'utf8').toString('latin1');
  const values =
    value.kind === 'dup'
      ? value.pair.map((p) => wire(p === BASELINE ? baseline : p))
      : [wire(charactersOf(value, baseline))];
  if (!values.every((v) => HEADER_SAFE.test(v))) return null;
  return value.kind === 'dup' ? values : values[0]!;
}

/** How the report shows a value: JSON-escaped characters, cut to a readable length. */
export function describeValue(value: Hostile): string {
  let shown: string;
  switch (value.kind) {
    case 'dup':
      shown = `twice: ${value.pair.map((p) => (p === BASELINE ? '<valid>' : JSON.stringify(p))).join(', ')}`;
      break;
    case 'typed':
      shown = `JSON ${value.json}`;
      break;
    case 'absent':
      shown = '<absent>';
      break;
    default:
      shown = `${value.kind === 'raw' ? 'raw ' : ''}${JSON.stringify(value.s)}`;
  }
  return shown.length > 120 ? `${shown.slice(0, 100)}… (${shown.length} chars)` : shown;
}
