/** A small reader of the Prometheus text format (what prom-client writes), for assertions. */
import { request } from './http.js';

/** One line of the exposition: a series and its value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A parsed scrape. */
export interface Scrape {
  readonly samples: Sample[];
  /** Family name → type (`counter`, `gauge`, `histogram`, `summary`), from `# TYPE` lines. */
  readonly types: Map<string, string>;
  /** The sum of the samples named `name` whose labels include `labels` (0 when none). */
  value(name: string, labels?: Record<string, string>): number;
  /** The samples named `name` whose labels include `labels`. */
  series(name: string, labels?: Record<string, string>): Sample[];
  /** Whether `name` is exported: a family, or a histogram's `_bucket`/`_sum`/`_count` series. */
  exports(name: string): boolean;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses exposition text; throws on a line it cannot read, so a malformed scrape fails the test. */
export function parsePrometheus(text: string): Scrape {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const type = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (type) types.set(type[1] as string, type[2] as string);
      continue;
    }
    const match = LINE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, name, raw] of (match[2] ?? '').matchAll(LABEL)) {
      labels[name as string] = (raw as string).replace(/\\n/g, '\n').replace(/\\(.)/g, '$1');
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  const matches = (sample: Sample, name: string, labels: Record<string, string>) =>
    sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value);
  return {
    samples,
    types,
    series: (name, labels = {}) => samples.filter((sample) => matches(sample, name, labels)),
    value: (name, labels = {}) =>
      samples.filter((sample) => matches(sample, name, labels)).reduce((sum, sample) => sum + sample.value, 0),
    exports(name) {
      if (types.has(name)) return true;
      const family = name.replace(/_(bucket|sum|count)$/, '');
      return family !== name && ['histogram', 'summary'].includes(types.get(family) ?? '');
    },
  };
}

/** `GET {adminUrl}/metrics`, parsed. */
export async function scrape(adminUrl: string): Promise<Scrape> {
  const { status, text, headers } = await request(`${adminUrl}/metrics`);
  if (status !== 200) throw new Error(`/metrics answered ${status}: ${text.slice(0, 200)}`);
  if (!headers.get('content-type')?.startsWith('text/plain')) throw new Error('/metrics is not text/plain');
  return parsePrometheus(text);
}
