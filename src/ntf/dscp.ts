/**
 * The DSCP an ntf entry's `dscp` stands for.
 *
 * The reference kept an entry's `dscp` as a uint8_t and wrote it over the
 * whole IPv4 TOS byte of every packet of a flow its token decided
 * (Network-Tokens/ntf utils/ntf_context.cc: `ip->type_of_service = dscp`,
 * after `const uint8_t dscp( arg.dscp() )` in modules/ntf.cc). So the
 * network saw DSCP = value >> 2 (RFC 2474 §3: the TOS byte's upper six
 * bits), and the value's low two bits went into the ECN field (RFC 3168
 * §5). ntok sets the DSCP and never touches ECN.
 *
 * Rule ("tos", the default): DSCP = value >> 2, the DSCP those packets
 * carried, so an imported setup marks flows as it did. The low two bits
 * are not reproduced (ntok leaves ECN to the endpoints), and a note says
 * so: a value that is not a multiple of 4 is suspect as a TOS byte (it set
 * ECN bits on traffic that may not do ECN), and most likely a DSCP written
 * where the reference wanted a TOS byte; the operator then imports with
 * "dscp". A value below 4 is DSCP 0 (default forwarding), as the reference
 * forced; an absent one too (proto3 reads it as 0, and 0 went on the
 * wire). Above 255 is refused: the reference cut it to 8 bits, which no
 * operator meant.
 *
 * Rule "dscp" (`--dscp-field dscp`): the value is the DSCP itself, 0..63.
 */
export type DscpField = 'tos' | 'dscp';

export interface ImportedDscp {
  dscp: number;
  /** What the conversion did, for the operator (undefined when there is nothing to say). */
  note?: string;
}

export class DscpRangeError extends Error {}

const hex = (v: bigint | number) => `0x${v.toString(16)}`;

export function importDscp(value: bigint | undefined, field: DscpField): ImportedDscp {
  if (value === undefined) {
    return { dscp: 0, note: 'no dscp: the reference wrote TOS 0 (proto3 default), so DSCP 0 (default forwarding)' };
  }
  if (field === 'dscp') {
    if (value < 0n || value > 63n) throw new DscpRangeError(`${value} is not a DSCP (0..63; --dscp-field dscp reads the value as the DSCP itself)`);
    return { dscp: Number(value) };
  }
  if (value < 0n || value > 255n) {
    throw new DscpRangeError(`${value} does not fit the TOS byte the reference wrote it over (0..255; it kept 8 bits, ${value & 0xffn}, which no operator meant)`);
  }
  const v = Number(value);
  const dscp = v >> 2;
  const ecn = v & 3;
  if (ecn === 0) return { dscp, note: v === 0 ? undefined : `TOS byte ${v} (${hex(v)}) is DSCP ${dscp}` };
  const asDscp = v <= 63 ? `; if ${v} was meant as the DSCP itself, import with --dscp-field dscp` : '';
  return {
    dscp,
    note: `TOS byte ${v} (${hex(v)}) is DSCP ${dscp} with ECN bits ${ecn} that the reference forced on every packet; ntok sets DSCP ${dscp} and leaves ECN to the endpoints${asDscp}`,
  };
}
