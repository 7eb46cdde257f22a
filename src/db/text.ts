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
 * itself), or null when every string in it can be. Keys count as strings too.
 */
export function findUnstorable(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return isStorableText(value) ? null : path;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const found = findUnstorable(value[i], path ? `${path}.${i}` : String(i));
      if (found !== null) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      if (!isStorableText(key)) return at;
      const found = findUnstorable(item, at);
      if (found !== null) return found;
    }
  }
  return null;
}
