/**
 * Scrapes a node's /metrics and parses the Prometheus text exposition format
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format): `# TYPE` lines and
 * samples `name{label="value",…} number`, label values with the format's three escapes.
 */

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  samples: MetricSample[];
  /** `# TYPE` of each metric family. */
  types: Map<string, string>;
  /** The sum of every sample of `name` whose labels include `labels`. */
  value(name: string, labels?: Record<string, string>): number;
  /** The samples of `name` whose labels include `labels`. */
  find(name: string, labels?: Record<string, string>): MetricSample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/y;

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const match = LABEL.exec(text);
    if (!match) throw new Error(`bad labels in: ${line}`);
    labels[match[1]!] = match[2]!.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  const value = Number(text);
  // Prometheus reads NaN in any case (prom-client writes `Nan`).
  if (Number.isNaN(value) && text.toLowerCase() !== 'nan') throw new Error(`bad value: ${text}`);
  return value;
}

export function parseExposition(text: string): Scrape {
  const samples: MetricSample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    if (line.startsWith('#')) {
      const type = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (type) types.set(type[1]!, type[2]!);
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    samples.push({
      name: match[1]!,
      labels: parseLabels(match[2] ?? '', line),
      value: parseValue(match[3]!),
    });
  }
  const find = (name: string, labels: Record<string, string> = {}) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return {
    samples,
    types,
    find,
    value: (name, labels) => find(name, labels).reduce((sum, s) => sum + s.value, 0),
  };
}

/** GET <base>/metrics with the bearer token (if any); fails unless 200 in the text format. */
export async function scrape(base: string, token?: string): Promise<Scrape> {
  const res = await fetch(`${base}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const text = await res.text();
  if (res.status !== 200) throw new Error(`scrape answered ${res.status}: ${text}`);
  if (!/^text\/plain; version=0\.0\.4/.test(res.headers.get('content-type') ?? ''))
    throw new Error(`not the text format: ${res.headers.get('content-type')}`);
  if (res.headers.get('cache-control') !== 'no-store') throw new Error('scrape answered without no-store');
  return parseExposition(text);
}
