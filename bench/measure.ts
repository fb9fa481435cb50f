// Timing helpers for bench/bench.ts: warm-up, calibration and interleaved
// rounds, reporting the median µs per operation of each row.
import { performance } from 'node:perf_hooks';

export interface Row {
  /** Token / algorithm the row belongs to, e.g. "Mac0 HMAC 256/64". */
  group: string;
  /** Stable short id, used by ratios and --json. */
  id: string;
  /** What is timed. */
  label: string;
  /** One operation; a promise-returning op is awaited. */
  op: () => unknown;
  async?: boolean;
  /** Bytes of the input this row verifies (token or structure), for the table. */
  bytes?: number;
  /**
   * Operations per round, fixed instead of calibrated, with `warmupOps`
   * operations of warm-up instead of a warm-up time: for rows whose every
   * operation uses up an input (a new flow, a token not seen before), so
   * that the inputs can be made beforehand and do not run out.
   */
  iterations?: number;
  warmupOps?: number;
}

export interface Measured {
  group: string;
  id: string;
  label: string;
  bytes?: number;
  /** µs per operation, median over rounds. */
  median: number;
  min: number;
  max: number;
  iterations: number;
  rounds: number;
  perRound: number[];
}

export interface Plan {
  rounds: number;
  /** Wanted length of one round, ms. */
  roundMs: number;
  /** Warm-up time per row, ms. */
  warmupMs: number;
  /**
   * Warm-up for async rows (cose-js, jose), ms: cose-js needs a few thousand
   * calls (over a second) before its time per call settles.
   */
  asyncWarmupMs: number;
}

let sink = 0;
/** Keeps results alive so the JIT cannot drop an operation. */
export function consume(value: unknown): void {
  if (value === undefined || value === null || value === false) sink++;
}
export function sinkValue(): number {
  return sink;
}

async function runFor(row: Row, ms: number): Promise<number> {
  let n = 0;
  const end = performance.now() + ms;
  if (row.async) {
    while (performance.now() < end) {
      for (let i = 0; i < 4; i++) consume(await row.op());
      n += 4;
    }
  } else {
    while (performance.now() < end) {
      for (let i = 0; i < 16; i++) consume(row.op());
      n += 16;
    }
  }
  return n;
}

/** µs per op over one round of n iterations. */
async function round(row: Row, n: number): Promise<number> {
  const op = row.op;
  let t0: number;
  let t1: number;
  if (row.async) {
    t0 = performance.now();
    for (let i = 0; i < n; i++) consume(await op());
    t1 = performance.now();
  } else {
    t0 = performance.now();
    for (let i = 0; i < n; i++) consume(op());
    t1 = performance.now();
  }
  return ((t1 - t0) * 1000) / n;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Warms every row up, sizes its rounds to about plan.roundMs, then runs the
 * rounds interleaved (round 1 of every row, round 2 of every row, ...) so that
 * a noisy stretch of the VM hits all rows of the group alike.
 */
export async function measureGroup(rows: Row[], plan: Plan): Promise<Measured[]> {
  const iterations: number[] = [];
  for (const row of rows) {
    if (row.iterations !== undefined) {
      for (let i = 0; i < (row.warmupOps ?? 0); i++) consume(row.async ? await row.op() : row.op());
      iterations.push(row.iterations);
      continue;
    }
    await runFor(row, row.async ? plan.asyncWarmupMs : plan.warmupMs);
    const calMs = Math.max(10, plan.roundMs / 4);
    const t0 = performance.now();
    const n = await runFor(row, calMs);
    const perOpMs = (performance.now() - t0) / n;
    iterations.push(Math.max(3, Math.round(plan.roundMs / perOpMs)));
  }
  const perRound: number[][] = rows.map(() => []);
  for (let r = 0; r < plan.rounds; r++) {
    for (let i = 0; i < rows.length; i++) perRound[i].push(await round(rows[i], iterations[i]));
  }
  return rows.map((row, i) => ({
    group: row.group,
    id: row.id,
    label: row.label,
    bytes: row.bytes,
    median: median(perRound[i]),
    min: Math.min(...perRound[i]),
    max: Math.max(...perRound[i]),
    iterations: iterations[i],
    rounds: plan.rounds,
    perRound: perRound[i],
  }));
}
