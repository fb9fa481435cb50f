// Human-readable output of the CLI. The facts all come from the core's JSON;
// this only lays them out.
import { algName } from '../issuer/index.js';
import type { GatewayStatus } from '../host/gateway.js';
import type { FlowSummary } from '../replay.js';

interface Result {
  ok: boolean;
  code: string;
  message?: string;
  claims?: Record<string, unknown>;
  kid?: string;
  /** COSE number, or a JOSE token's alg name. */
  alg?: number | string;
  enc?: string;
  descriptor?: number;
  reflect?: number;
}

const REFLECT = ['inserted by origin', 'inserted by origin, reflect at receiver', 'reflected'];

function algText(alg: number | string | undefined, enc?: string): string {
  if (typeof alg === 'string') return enc === undefined ? `${alg} (JOSE)` : `${alg}, enc ${enc} (JOSE)`;
  return alg === undefined ? '?' : `${alg} (${algName[alg] ?? 'unknown'})`;
}

function timeText(v: unknown): string {
  return typeof v === 'number' ? `${v} (${new Date(v * 1000).toISOString()})` : String(v);
}

function claimLines(claims: Record<string, unknown>): string {
  return Object.entries(claims)
    .map(([k, v]) => `    ${k.padEnd(4)} ${['exp', 'nbf', 'iat'].includes(k) ? timeText(v) : JSON.stringify(v)}`)
    .join('\n');
}

function headerText(r: { descriptor?: number; reflect?: number }): string {
  const d = r.descriptor ?? 0;
  return `descriptor 0x${d.toString(16)}${d & 0x8000000 ? ' (private)' : ''}, reflect ${r.reflect} (${REFLECT[r.reflect ?? 0] ?? '?'})`;
}

export function describeResult(r: Result): string {
  const lines = [r.ok ? 'OK token verified' : `REJECTED ${r.code}: ${r.message ?? ''}`];
  lines.push(`  header  ${headerText(r)}`);
  if (r.kid !== undefined || r.alg !== undefined) lines.push(`  key     kid ${JSON.stringify(r.kid)}, alg ${algText(r.alg, r.enc)}`);
  if (r.claims) lines.push(`  claims${r.ok ? '' : ' (authentic, but rejected)'}`, claimLines(r.claims));
  return lines.join('\n') + '\n';
}

interface Layer {
  type: string;
  /** COSE layers only. */
  tagged?: boolean;
  cwt_tag?: boolean;
  alg?: number | string;
  enc?: string;
  kid?: string;
  iv?: string;
  payload_bytes: number;
  tag_bytes?: number;
}

export function describeInspection(r: Result & { header: { present: boolean; descriptor: number; reflect: number }; layers: Layer[]; encrypted?: boolean }): string {
  const lines = [r.ok ? 'decoded (not verified)' : `UNDECODABLE ${r.code}: ${r.message ?? ''}`];
  lines.push(`  header  ${r.header.present ? headerText(r.header) : 'none (bare CWT)'}`);
  r.layers.forEach((l, i) => {
    const parts = [`${l.type}${l.tagged ? ' (tagged)' : ''}${l.cwt_tag ? ' in CWT tag 61' : ''}`, `alg ${algText(l.alg, l.enc)}`];
    if (l.kid !== undefined) parts.push(`kid ${JSON.stringify(l.kid)}`);
    if (l.iv !== undefined) parts.push(`iv ${l.iv}`);
    parts.push(`payload ${l.payload_bytes} B`);
    if (l.tag_bytes !== undefined) parts.push(`${l.type === 'mac0' || l.type === 'jwe' || l.alg === 'HS256' ? 'tag' : 'signature'} ${l.tag_bytes} B`);
    lines.push(`  layer ${i}: ${parts.join(', ')}`);
  });
  if (r.encrypted) lines.push('  claims  encrypted (no configured key for this kid)');
  if (r.claims) lines.push('  claims', claimLines(r.claims));
  return lines.join('\n') + '\n';
}

/** The flow table of `ntok replay` / `ntok tag`: one line per flow, then the counters that matter. */
export function describeFlows(flows: FlowSummary[], status: GatewayStatus, packets: number, dropped: number, out?: string, traps = 0): string {
  const rows = flows.map((f) => [f.flow ?? '(no flow)', String(f.packets), f.service ?? '-', f.dscp === null ? '-' : String(f.dscp), f.code]);
  const head = ['flow', 'packets', 'service', 'dscp', 'code'];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 1 || i === 3 ? c.padStart(width[i]) : c.padEnd(width[i]))).join('  ').trimEnd();
  const lines = [line(head), ...rows.map(line)];
  lines.push('');
  lines.push(`${packets} packets, ${flows.filter((f) => f.flow !== null).length} flows: ${status.verifications} tokens verified, ` +
    `${status.cache_hits} cache hits, ${status.rewritten} rewritten, ${status.washed} washed, ${dropped} dropped, ` +
    `${status.tagged} tagged, ${status.tag_too_large} too large to tag, ${status.rate_limited} rate-limited, ${traps} traps`);
  if (out) lines.push(`wrote ${out}`);
  return lines.join('\n') + '\n';
}
