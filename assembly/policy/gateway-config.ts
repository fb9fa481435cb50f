// The gateway's policy, from the configuration's "services" and "gateway"
// members (docs/config.md): what a verified token's service means for a
// flow (DSCP, mark, allowed), the marks of undecided outcomes, where tokens
// are looked for, which devices must present a token, and the limits of the
// packet path. Parsed once per configure(); the packet path only reads it.

import { JsonType, JsonValue } from "../json/reader";
import { Prefix } from "../util/prefix";
import { claimBit, Claim } from "../claims";
import { DEFAULT_CAPACITY, MAX_CAPACITY } from "../flow/table";
import { DEFAULT_TOKEN_CACHE } from "../flow/token-cache";
import {
  DEFAULT_GLOBAL_RATE, DEFAULT_GLOBAL_BURST, DEFAULT_SOURCE_RATE, DEFAULT_SOURCE_BURST,
} from "./rate-limit";
import { DEFAULT_STUN_TOKEN_ATTR } from "../carrier/stun";
import { DEFAULT_IPV6_TOKEN_OPTION } from "../carrier/ipv6-option";
import { hexToBytes } from "../util/encoding";
import { Msg } from "../config-message-text";
import { element, member, message } from "../config-message";

/** A service a token can name (srv text = name; srv or sid integer = id). */
export class Service {
  name: string = "";
  id: i64 = -1;
  /** DSCP to set on the flow's packets; -1 leaves it alone. */
  dscp: i32 = -1;
  mark: u32 = 0;
  /** A valid token for this service lets an allow-listed device's flow through. */
  allow: bool = false;
}

/** Where a tagging rule puts the token: an IPv6 options header (by its next-header value) or STUN. */
export const enum TagCarrier { HOP_BY_HOP = 0, DEST_OPTS = 60, STUN = 1 }

/**
 * The gateway attaches `token` (network-token header + token, as minted for
 * the device) to upstream packets from `source` (protocol / destination port
 * when given): to the first packet it fits in, or to every packet.
 */
export class TagRule {
  source: Prefix = new Prefix();
  /** IP protocol number, -1 for any. */
  proto: i32 = -1;
  /** Destination port, -1 for any. */
  port: i32 = -1;
  token: Uint8Array = new Uint8Array(0);
  carrier: TagCarrier = TagCarrier.HOP_BY_HOP;
  perPacket: bool = false;
}

export const DEFAULT_IDLE_TIMEOUT: f64 = 300;
export const DEFAULT_MTU: i32 = 1500;

export class GatewayConfig {
  /** Index 0 is "no service"; real services start at 1 (a flow stores the index). */
  services: Service[] = [new Service()];
  /** Claims a token must carry on the packet path (a gateway requires exp). */
  required: u32 = Claim.EXP;
  // Marks of decided flows without a valid token: every decided flow gets a
  // nonzero mark (the kernel rules treat mark 0 as "not decided yet").
  markNoToken: u32 = 1;
  markRejected: u32 = 2;
  markWashed: u32 = 3;
  markNotAllowed: u32 = 4;
  lan: Prefix[] = [];
  /** Devices (source prefixes) whose upstream flows need a valid token for a service with allow. */
  allowlist: Prefix[] = [];
  /** DSCP values washed from flows without a valid token (empty: no washing). */
  washDscp: i32[] = [];
  washTo: i32 = 0;
  stunAttribute: u16 = DEFAULT_STUN_TOKEN_ATTR;
  ipv6Option: u8 = DEFAULT_IPV6_TOKEN_OPTION;
  flowCapacity: i32 = DEFAULT_CAPACITY;
  idleTimeout: f64 = DEFAULT_IDLE_TIMEOUT;
  hashSeed: u32 = 0x6e746f6b; // "ntok": hosts should pass a random seed
  tokenCache: i32 = DEFAULT_TOKEN_CACHE;
  globalRate: f64 = DEFAULT_GLOBAL_RATE;
  globalBurst: f64 = DEFAULT_GLOBAL_BURST;
  sourceRate: f64 = DEFAULT_SOURCE_RATE;
  sourceBurst: f64 = DEFAULT_SOURCE_BURST;
  mtu: i32 = DEFAULT_MTU;
  tagging: TagRule[] = [];

  /** The first tagging rule for a packet from `src` (proto, destination port), or null. */
  tagRuleFor(src: usize, addrLen: i32, proto: i32, dstPort: i32): TagRule | null {
    for (let i = 0; i < this.tagging.length; i++) {
      const r = this.tagging[i];
      if ((r.proto < 0 || r.proto == proto) && (r.port < 0 || r.port == dstPort) && r.source.matches(src, addrLen)) return r;
    }
    return null;
  }

  /** The index of the service a token names (srv text or integer, or sid), 0 for none. */
  serviceFor(srvIsText: bool, srvPtr: usize, srvLen: i32, srv: i64, sid: i64): i32 {
    for (let i = 1; i < this.services.length; i++) {
      const s = this.services[i];
      if (srvIsText) {
        if (String.UTF8.byteLength(s.name) == srvLen && String.UTF8.decodeUnsafe(srvPtr, srvLen) == s.name) return i;
      } else if (srv >= 0 && s.id == srv) return i;
      else if (sid >= 0 && s.id == sid) return i;
    }
    return 0;
  }

  serviceIndexByName(name: string): i32 {
    for (let i = 1; i < this.services.length; i++) if (this.services[i].name == name) return i;
    return 0;
  }
}

// Error messages are a field's path and one of a few shared phrases
// (config-messages.json): the path is what a user needs (docs/config.md
// gives types and ranges).

/** Reads "services" and "gateway"; `error` names the bad field. */
export class GatewayConfigParser {
  error: string = "";

  /** Records the first failure (Msg m about the field at `where`) and returns false. */
  private bad(m: Msg, where: string = "", arg: string = ""): bool {
    if (this.error.length == 0) this.error = message(m, where, arg);
    return false;
  }

  /** An object with only the allowed members. */
  private object(v: JsonValue | null, allowed: string[], where: string): bool {
    if (v == null || v.type != JsonType.OBJECT) return this.bad(Msg.MUST_BE_AN_OBJECT, where);
    for (let i = 0; i < v.keys.length; i++) {
      if (!allowed.includes(v.keys[i])) return this.bad(Msg.UNKNOWN_MEMBER, where, v.keys[i]);
    }
    return true;
  }

  /**
   * A number member within [min, max] (an integer when asked), or the
   * fallback when absent. The bounds are integers (exact as f64 up to 2^53):
   * as i64 constants they cost the call sites less than f64 ones.
   */
  private number(v: JsonValue, name: string, where: string, min: i64, max: i64, integer: bool, fallback: f64): f64 {
    const m = v.get(name);
    if (m == null) return fallback;
    if (m.type != JsonType.NUMBER || m.num < <f64>min || m.num > <f64>max || (integer && !m.isInteger)) {
      this.bad(Msg.IS_OUT_OF_RANGE, member(where, name));
      return fallback;
    }
    return m.num;
  }

  /** An array member of address prefixes, if present. */
  private prefixes(obj: JsonValue, name: string, where: string, out: Prefix[]): bool {
    const v = obj.get(name);
    if (v == null) return true;
    if (v.type != JsonType.ARRAY) return this.bad(Msg.MUST_BE_AN_ARRAY, member(where, name));
    for (let i = 0; i < v.items.length; i++) {
      const p = new Prefix();
      if (v.items[i].type != JsonType.STRING || !p.parse(v.items[i].str)) {
        return this.bad(Msg.IS_NOT_AN_ADDRESS_PREFIX, element(member(where, name), i));
      }
      out.push(p);
    }
    return true;
  }

  parse(root: JsonValue, g: GatewayConfig): bool {
    const services = root.get("services");
    if (services != null && !this.parseServices(services, g)) return false;
    const gw = root.get("gateway");
    if (gw == null) return true;
    if (!this.object(gw, ["require", "marks", "lan", "allowlist", "wash", "carriers", "flows", "token_cache",
      "rate_limit", "mtu", "tagging", "comment"], "gateway")) return false;
    const req = gw.get("require");
    if (req != null) {
      if (req.type != JsonType.ARRAY) return this.bad(Msg.MUST_BE_AN_ARRAY, member("gateway", "require"));
      g.required = 0;
      for (let i = 0; i < req.items.length; i++) {
        const bit = req.items[i].type == JsonType.STRING ? claimBit(req.items[i].str) : 0;
        if (bit == 0) return this.bad(Msg.IS_NOT_A_CLAIM_NAME, element(member("gateway", "require"), i));
        g.required |= bit;
      }
    }
    const marks = gw.get("marks");
    if (marks != null) {
      const where = member("gateway", "marks");
      if (!this.object(marks, ["no_token", "rejected", "washed", "not_allowed"], where)) return false;
      // 0 would read as "undecided" and keep a flow in the queue forever.
      g.markNoToken = <u32>this.number(marks, "no_token", where, 1, 4294967295, true, g.markNoToken);
      g.markRejected = <u32>this.number(marks, "rejected", where, 1, 4294967295, true, g.markRejected);
      g.markWashed = <u32>this.number(marks, "washed", where, 1, 4294967295, true, g.markWashed);
      g.markNotAllowed = <u32>this.number(marks, "not_allowed", where, 1, 4294967295, true, g.markNotAllowed);
    }
    if (!this.prefixes(gw, "lan", "gateway", g.lan)) return false;
    if (!this.prefixes(gw, "allowlist", "gateway", g.allowlist)) return false;
    const wash = gw.get("wash");
    if (wash != null) {
      const where = member("gateway", "wash");
      if (!this.object(wash, ["dscp", "to"], where)) return false;
      const list = wash.get("dscp");
      if (list == null || list.type != JsonType.ARRAY) return this.bad(Msg.MUST_BE_AN_ARRAY, member(where, "dscp"));
      for (let i = 0; i < list.items.length; i++) {
        const d = list.items[i];
        if (d.type != JsonType.NUMBER || !d.isInteger || d.num < 0 || d.num > 63) return this.bad(Msg.IS_OUT_OF_RANGE, element(member(where, "dscp"), i));
        g.washDscp.push(<i32>d.num);
      }
      g.washTo = <i32>this.number(wash, "to", where, 0, 63, true, 0);
    }
    const carriers = gw.get("carriers");
    if (carriers != null) {
      const where = member("gateway", "carriers");
      if (!this.object(carriers, ["stun_attribute", "ipv6_option"], where)) return false;
      // The draft's code points collide with or are unconfirmed in IANA's registries: configurable.
      g.stunAttribute = <u16>this.number(carriers, "stun_attribute", where, 0, 65535, true, g.stunAttribute);
      g.ipv6Option = <u8>this.number(carriers, "ipv6_option", where, 2, 255, true, g.ipv6Option);
    }
    const flows = gw.get("flows");
    if (flows != null) {
      const where = member("gateway", "flows");
      if (!this.object(flows, ["capacity", "idle_timeout", "seed"], where)) return false;
      g.flowCapacity = <i32>this.number(flows, "capacity", where, 1, MAX_CAPACITY, true, g.flowCapacity);
      g.idleTimeout = this.number(flows, "idle_timeout", where, 1, 86400, false, g.idleTimeout);
      g.hashSeed = <u32>this.number(flows, "seed", where, 0, 4294967295, true, g.hashSeed);
    }
    g.tokenCache = <i32>this.number(gw, "token_cache", "gateway", 16, 1048576, true, g.tokenCache);
    const rate = gw.get("rate_limit");
    if (rate != null) {
      const where = member("gateway", "rate_limit");
      if (!this.object(rate, ["per_second", "burst", "per_source_per_second", "per_source_burst"], where)) return false;
      g.globalRate = this.number(rate, "per_second", where, 0, 1000000, false, g.globalRate);
      g.globalBurst = this.number(rate, "burst", where, 1, 1000000, false, g.globalBurst);
      g.sourceRate = this.number(rate, "per_source_per_second", where, 0, 1000000, false, g.sourceRate);
      g.sourceBurst = this.number(rate, "per_source_burst", where, 1, 1000000, false, g.sourceBurst);
    }
    g.mtu = <i32>this.number(gw, "mtu", "gateway", 576, 65535, true, g.mtu);
    const tagging = gw.get("tagging");
    if (tagging != null) {
      const where = member("gateway", "tagging");
      if (tagging.type != JsonType.ARRAY) return this.bad(Msg.MUST_BE_AN_ARRAY, where);
      for (let i = 0; i < tagging.items.length; i++) if (!this.parseTagRule(tagging.items[i], element(where, i), g)) return false;
    }
    return this.error.length == 0;
  }

  private parseTagRule(v: JsonValue, where: string, g: GatewayConfig): bool {
    if (!this.object(v, ["source", "proto", "port", "token", "carrier", "per_packet", "comment"], where)) return false;
    const r = new TagRule();
    const source = v.get("source");
    if (source == null || source.type != JsonType.STRING || !r.source.parse(source.str)) return this.bad(Msg.IS_NOT_AN_ADDRESS_PREFIX, member(where, "source"));
    const proto = v.get("proto");
    if (proto != null) {
      if (proto.type != JsonType.STRING || (proto.str != "udp" && proto.str != "tcp" && proto.str != "any")) return this.bad(Msg.IS_OUT_OF_RANGE, member(where, "proto"));
      r.proto = proto.str == "udp" ? 17 : proto.str == "tcp" ? 6 : -1;
    }
    r.port = <i32>this.number(v, "port", where, 0, 65535, true, -1);
    const token = v.get("token");
    const bytes = token != null && token.type == JsonType.STRING ? hexToBytes(token.str) : null;
    // An IPv6 option holds at most 255 bytes (RFC 8200 §4.2), the header included.
    if (bytes == null || bytes.length < 5 || bytes.length > 255) return this.bad(Msg.IS_OUT_OF_RANGE, member(where, "token"));
    r.token = bytes;
    const carrier = v.get("carrier");
    if (carrier == null || carrier.type != JsonType.STRING) return this.bad(Msg.IS_OUT_OF_RANGE, member(where, "carrier"));
    if (carrier.str == "hbh") r.carrier = TagCarrier.HOP_BY_HOP;
    else if (carrier.str == "dstopts") r.carrier = TagCarrier.DEST_OPTS;
    else if (carrier.str == "stun") r.carrier = TagCarrier.STUN;
    else return this.bad(Msg.IS_OUT_OF_RANGE, member(where, "carrier"));
    const perPacket = v.get("per_packet");
    if (perPacket != null) {
      if (perPacket.type != JsonType.BOOL) return this.bad(Msg.IS_OUT_OF_RANGE, member(where, "per_packet"));
      r.perPacket = perPacket.bool;
    }
    g.tagging.push(r);
    return true;
  }

  private parseServices(v: JsonValue, g: GatewayConfig): bool {
    if (v.type != JsonType.ARRAY || v.items.length > 1000) return this.bad(Msg.SERVICES_MUST_BE_AN_ARRAY);
    for (let i = 0; i < v.items.length; i++) {
      const where = element("services", i);
      const item = v.items[i];
      if (!this.object(item, ["name", "id", "dscp", "mark", "allow", "comment"], where)) return false;
      const s = new Service();
      const name = item.get("name");
      if (name == null || name.type != JsonType.STRING || name.str.length == 0) return this.bad(Msg.MUST_BE_A_NON_EMPTY_STRING, member(where, "name"));
      if (g.serviceIndexByName(name.str) != 0) return this.bad(Msg.SERVICE_NAME_APPEARS_TWICE, where, name.str);
      s.name = name.str;
      s.id = <i64>this.number(item, "id", where, 0, 9007199254740991, true, -1);
      s.dscp = <i32>this.number(item, "dscp", where, 0, 63, true, -1);
      s.mark = <u32>this.number(item, "mark", where, 1, 4294967295, true, <f64>(0x10 + i));
      const allow = item.get("allow");
      if (allow != null) {
        if (allow.type != JsonType.BOOL) return this.bad(Msg.IS_OUT_OF_RANGE, member(where, "allow"));
        s.allow = allow.bool;
      }
      g.services.push(s);
    }
    return this.error.length == 0;
  }
}
