/**
 * Merges configuration additions into the provider's configuration: `features` per feature name,
 * plain objects (ttl, extraClientMetadata, ...) key by key, arrays as the union of their entries;
 * anything else is replaced. No library import: it only shapes plain objects.
 */
type Plain = Record<string, unknown>;

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

function mergeValue(base: unknown, added: unknown): unknown {
  if (Array.isArray(base) && Array.isArray(added)) return [...new Set([...base, ...added])];
  if (isPlain(base) && isPlain(added)) {
    const merged: Plain = { ...base };
    for (const [key, value] of Object.entries(added)) merged[key] = mergeValue(base[key], value);
    return merged;
  }
  return added;
}

/** `base` with each of `additions` merged into it, in order; none of them is changed. */
export function mergeConfiguration<T extends object>(base: T, ...additions: object[]): T {
  let merged: unknown = base;
  for (const addition of additions) merged = mergeValue(merged, addition);
  return merged as T;
}
