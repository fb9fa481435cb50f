// Replay: every packet of a capture through the core's packet path, as a
// gateway would see them, and a summary per flow. The decisions are the
// core's (process() verdicts); what is here is bookkeeping over verdicts,
// which ntokd's replay (host/replay.c) does the same way so that both print
// byte-identical JSON (test/conformance).
import { Gateway, Direction, VERDICT } from './host/gateway.js';
import { writePcap, writePcapng, type Capture, type CapturedPacket } from './pcap/index.js';

export interface FlowSummary {
  /** `udp 10.0.0.2:5000 > 10.0.0.1:3478`, origin first; null for packets that belong to no flow. */
  flow: string | null;
  service: string | null;
  /** DSCP of the flow's last packet after the gateway (null: no parsed packet). */
  dscp: number | null;
  /** Result code of the flow's last packet. */
  code: string;
  packets: number;
}

export interface ReplayOptions {
  /**
   * Unix time of the capture's first packet; the others keep their offsets
   * from it. Default: the capture's own timestamps.
   */
  now?: number;
  /** Default Unknown: the core decides from `gateway.lan` when configured. */
  direction?: Direction;
}

export interface ReplayResult {
  flows: FlowSummary[];
  /** The flow summaries as ntok replay --json prints them (compact, byte-identical to ntokd). */
  json: string;
  /** The capture as the gateway forwards it: dropped packets left out, the others as rewritten. */
  output: Uint8Array;
  dropped: number;
}

// Result codes (docs/abi.md).
const CODE_NO_TOKEN = 27;
const CODE_WASHED = 31;

interface Record {
  flow: string | null;
  service: number;
  dscp: number;
  code: number;
  packets: number;
}

export function replay(gateway: Gateway, capture: Capture, options: ReplayOptions = {}): ReplayResult {
  const first = capture.packets[0];
  const shift = options.now === undefined || first === undefined ? 0 : options.now - first.timestamp;
  const records: Record[] = [];
  // Flow slot -> its record. A slot the core reuses (eviction, aging) comes back with NEW_FLOW.
  const live = new Map<number, Record>();
  // Packets outside any flow, one record per result code.
  const flowless = new Map<number, Record>();
  const forwarded: CapturedPacket[] = [];
  let dropped = 0;
  for (const p of capture.packets) {
    const v = gateway.process(p.data, { link: p.linkType, now: p.timestamp + shift, direction: options.direction });
    let r: Record | undefined;
    if (v.flow < 0) {
      r = flowless.get(v.code);
      if (r === undefined) flowless.set(v.code, (r = { flow: null, service: 0, dscp: -1, code: v.code, packets: 0 }));
    } else {
      r = (v.flags & VERDICT.NEW_FLOW) !== 0 ? undefined : live.get(v.flow);
      if (r === undefined) {
        r = { flow: gateway.flowName(v.flow), service: 0, dscp: -1, code: 0, packets: 0 };
        records.push(r);
        live.set(v.flow, r);
      }
    }
    r.packets++;
    // A flow that had premium DSCP washed stays "washed" while its other packets merely carry no token.
    if (!(r.code === CODE_WASHED && v.code === CODE_NO_TOKEN)) r.code = v.code;
    r.service = v.service;
    if (v.dscp >= 0) r.dscp = v.dscp;
    if (v.drop) {
      dropped++;
      continue;
    }
    const changed = (v.flags & (VERDICT.REWRITTEN | VERDICT.TAGGED)) !== 0;
    const data = changed ? gateway.packet() : p.data;
    forwarded.push({ ...p, data, originalLength: changed ? data.length : p.originalLength });
  }
  records.push(...flowless.values());
  const serviceJson = new Map<number, string | null>();
  const json = '[' + records.map((r) => {
    if (!serviceJson.has(r.service)) serviceJson.set(r.service, gateway.serviceNameJson(r.service));
    return `{"flow":${r.flow === null ? 'null' : JSON.stringify(r.flow)},"service":${serviceJson.get(r.service) ?? 'null'},` +
      `"dscp":${r.dscp < 0 ? 'null' : r.dscp},"code":"${gateway.resultName(r.code)}","packets":${r.packets}}`;
  }).join(',') + ']';
  const output = capture.format === 'pcapng'
    ? writePcapng(forwarded, { nanosecond: true })
    : writePcap(capture.interfaces[0]?.linkType ?? 1, forwarded, { nanosecond: true });
  return { flows: JSON.parse(json) as FlowSummary[], json, output, dropped };
}
