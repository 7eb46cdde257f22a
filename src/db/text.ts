/**
 * What PostgreSQL can store. A text value cannot hold U+0000 ("invalid byte sequence for encoding
 * UTF8: 0x00"), and jsonb refuses the escape `\u0000` and unpaired UTF-16 surrogates ("unsupported
 * Unicode escape sequence"). A client-supplied value with one of them names nothing that exists, so
 * the stores answer "not found" for it instead of sending it to the database and failing there.
 */

// eslint-disable-next-line no-control-regex -- U+0000 is exactly what this looks for
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when the string can be stored in a text or jsonb column as it is. */
export function isStorableText(value: string): boolean {
  return !UNSTORABLE.test(value);
}

/**
 * The path of the first string inside a JSON-like value that could not be stored (`''` for the value
 * itself), or null when every string in it can be. Keys count as strings too. Walked with a stack of
 * its own, not by recursion: a client's body may nest thousands of levels deep.
 */
export function findUnstorable(value: unknown, path = ''): string | null {
  const pending: [unknown, string][] = [[value, path]];
  for (let item = pending.pop(); item; item = pending.pop()) {
    const [current, at] = item;
    if (typeof current === 'string') {
      if (!isStorableText(current)) return at;
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i -= 1)
        pending.push([current[i], at ? `${at}.${i}` : String(i)]);
    } else if (current && typeof current === 'object') {
      const entries = Object.entries(current);
      for (let i = entries.length - 1; i >= 0; i -= 1) {
        const [key, child] = entries[i]!;
        const childAt = at ? `${at}.${key}` : key;
        if (!isStorableText(key)) return childAt;
        pending.push([child, childAt]);
      }
    }
  }
  return null;
}
