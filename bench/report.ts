// What bench.ts prints, shared by its sections: figures to three
// significant digits and the targets with PASS/MISS.

/** µs or ns to about three significant digits; n/a for NaN. */
export const fmt = (x: number) => (Number.isNaN(x) ? 'n/a' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

/** A ratio as `1.23×`. */
export const times = (v: number) => (Number.isNaN(v) ? 'n/a' : `${v.toFixed(2)}×`);

/** One part of the benchmark: its table lines, its targets, its figures for --json. */
export interface Section {
  out: string[];
  targets: Target[];
  json: Record<string, unknown>;
}

export interface Target {
  name: string;
  value: number;
  limit: number;
  unit: string;
  pass: boolean;
  detail: string;
  /** Why the target could not be measured in this run (neither PASS nor MISS). */
  skipped?: string;
}

export function target(name: string, value: number, limit: number, atMost: boolean, unit: string, detail: string): Target {
  return { name, value, limit, unit, pass: atMost ? value <= limit : value >= limit, detail };
}

export function targetLine(t: Target): string {
  const v = t.skipped !== undefined ? 'n/a' : t.unit === '×' ? times(t.value) : `${t.value}${t.unit}`;
  return `  ${t.skipped !== undefined ? 'n/a ' : t.pass ? 'PASS' : 'MISS'}  ${t.name.padEnd(66)} ${v.padStart(9)}  (${t.skipped ?? t.detail})`;
}
