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

/** Reads "services" and "gateway"; `error` names the bad field. */
export class GatewayConfigParser {
  error: string = "";

  private bad(msg: string): bool {
    if (this.error.length == 0) this.error = msg;
    return false;
  }

  private only(v: JsonValue, allowed: string[], where: string): bool {
    for (let i = 0; i < v.keys.length; i++) {
      if (!allowed.includes(v.keys[i])) return this.bad("unknown member \"" + v.keys[i] + "\" in " + where);
    }
    return true;
  }

  /** A number member within [min, max]; `range` says so in the error (no float printer in the module). */
  private number(v: JsonValue, name: string, where: string, min: f64, max: f64, integer: bool, fallback: f64, range: string): f64 {
    const m = v.get(name);
    if (m == null) return fallback;
    if (m.type != JsonType.NUMBER || m.num < min || m.num > max || (integer && !m.isInteger)) {
      this.bad(where + "." + name + " must be " + range);
      return fallback;
    }
    return m.num;
  }

  private prefixes(v: JsonValue | null, where: string, out: Prefix[]): bool {
    if (v == null) return true;
    if (v.type != JsonType.ARRAY) return this.bad(where + " must be an array of prefixes");
    for (let i = 0; i < v.items.length; i++) {
      const p = new Prefix();
      if (v.items[i].type != JsonType.STRING || !p.parse(v.items[i].str)) return this.bad(where + "[" + i.toString() + "] is not an address prefix");
      out.push(p);
    }
    return true;
  }

  parse(root: JsonValue, g: GatewayConfig): bool {
    const services = root.get("services");
    if (services != null && !this.parseServices(services, g)) return false;
    const gw = root.get("gateway");
    if (gw == null) return true;
    const where = "gateway";
    if (gw.type != JsonType.OBJECT) return this.bad("gateway must be an object");
    if (!this.only(gw, ["require", "marks", "lan", "allowlist", "wash", "carriers", "flows", "token_cache",
      "rate_limit", "mtu", "comment"], where)) return false;
    const req = gw.get("require");
    if (req != null) {
      if (req.type != JsonType.ARRAY) return this.bad("gateway.require must be an array of claim names");
      g.required = 0;
      for (let i = 0; i < req.items.length; i++) {
        const bit = req.items[i].type == JsonType.STRING ? claimBit(req.items[i].str) : 0;
        if (bit == 0) return this.bad("gateway.require[" + i.toString() + "] is not a claim name");
        g.required |= bit;
      }
    }
    const marks = gw.get("marks");
    if (marks != null) {
      if (marks.type != JsonType.OBJECT || !this.only(marks, ["no_token", "rejected", "washed", "not_allowed"], "gateway.marks")) {
        return this.bad("gateway.marks must be an object of no_token, rejected, washed, not_allowed");
      }
      // 0 would read as "undecided" and keep a flow in the queue forever.
      g.markNoToken = <u32>this.number(marks, "no_token", "gateway.marks", 1, 4294967295, true, g.markNoToken, "an integer from 1 to 4294967295");
      g.markRejected = <u32>this.number(marks, "rejected", "gateway.marks", 1, 4294967295, true, g.markRejected, "an integer from 1 to 4294967295");
      g.markWashed = <u32>this.number(marks, "washed", "gateway.marks", 1, 4294967295, true, g.markWashed, "an integer from 1 to 4294967295");
      g.markNotAllowed = <u32>this.number(marks, "not_allowed", "gateway.marks", 1, 4294967295, true, g.markNotAllowed, "an integer from 1 to 4294967295");
    }
    if (!this.prefixes(gw.get("lan"), "gateway.lan", g.lan)) return false;
    if (!this.prefixes(gw.get("allowlist"), "gateway.allowlist", g.allowlist)) return false;
    const wash = gw.get("wash");
    if (wash != null) {
      if (wash.type != JsonType.OBJECT || !this.only(wash, ["dscp", "to"], "gateway.wash")) return this.bad("gateway.wash must be { dscp: [...], to: n }");
      const list = wash.get("dscp");
      if (list == null || list.type != JsonType.ARRAY) return this.bad("gateway.wash.dscp must be an array of DSCP values");
      for (let i = 0; i < list.items.length; i++) {
        const d = list.items[i];
        if (d.type != JsonType.NUMBER || !d.isInteger || d.num < 0 || d.num > 63) return this.bad("gateway.wash.dscp[" + i.toString() + "] must be a DSCP from 0 to 63");
        g.washDscp.push(<i32>d.num);
      }
      g.washTo = <i32>this.number(wash, "to", "gateway.wash", 0, 63, true, 0, "an integer from 0 to 63");
    }
    const carriers = gw.get("carriers");
    if (carriers != null) {
      if (carriers.type != JsonType.OBJECT || !this.only(carriers, ["stun_attribute", "ipv6_option"], "gateway.carriers")) {
        return this.bad("gateway.carriers must be { stun_attribute, ipv6_option }");
      }
      // The draft's code points collide with or are unconfirmed in IANA's registries: configurable.
      g.stunAttribute = <u16>this.number(carriers, "stun_attribute", "gateway.carriers", 0, 65535, true, g.stunAttribute, "an integer from 0 to 65535");
      g.ipv6Option = <u8>this.number(carriers, "ipv6_option", "gateway.carriers", 2, 255, true, g.ipv6Option, "an integer from 2 to 255");
    }
    const flows = gw.get("flows");
    if (flows != null) {
      if (flows.type != JsonType.OBJECT || !this.only(flows, ["capacity", "idle_timeout", "seed"], "gateway.flows")) {
        return this.bad("gateway.flows must be { capacity, idle_timeout, seed }");
      }
      g.flowCapacity = <i32>this.number(flows, "capacity", "gateway.flows", 1, MAX_CAPACITY, true, g.flowCapacity, "an integer from 1 to 1048576");
      g.idleTimeout = this.number(flows, "idle_timeout", "gateway.flows", 1, 86400, false, g.idleTimeout, "a number from 1 to 86400");
      g.hashSeed = <u32>this.number(flows, "seed", "gateway.flows", 0, 4294967295, true, g.hashSeed, "an integer from 0 to 4294967295");
    }
    g.tokenCache = <i32>this.number(gw, "token_cache", "gateway", 16, 1048576, true, g.tokenCache, "an integer from 16 to 1048576");
    const rate = gw.get("rate_limit");
    if (rate != null) {
      if (rate.type != JsonType.OBJECT || !this.only(rate, ["per_second", "burst", "per_source_per_second", "per_source_burst"], "gateway.rate_limit")) {
        return this.bad("gateway.rate_limit must be { per_second, burst, per_source_per_second, per_source_burst }");
      }
      g.globalRate = this.number(rate, "per_second", "gateway.rate_limit", 0, 1e6, false, g.globalRate, "a number from 0 to 1000000");
      g.globalBurst = this.number(rate, "burst", "gateway.rate_limit", 1, 1e6, false, g.globalBurst, "a number from 1 to 1000000");
      g.sourceRate = this.number(rate, "per_source_per_second", "gateway.rate_limit", 0, 1e6, false, g.sourceRate, "a number from 0 to 1000000");
      g.sourceBurst = this.number(rate, "per_source_burst", "gateway.rate_limit", 1, 1e6, false, g.sourceBurst, "a number from 1 to 1000000");
    }
    g.mtu = <i32>this.number(gw, "mtu", "gateway", 576, 65535, true, g.mtu, "an integer from 576 to 65535");
    return this.error.length == 0;
  }

  private parseServices(v: JsonValue, g: GatewayConfig): bool {
    if (v.type != JsonType.ARRAY) return this.bad("services must be an array");
    if (v.items.length > 1000) return this.bad("more than 1000 services");
    for (let i = 0; i < v.items.length; i++) {
      const where = "services[" + i.toString() + "]";
      const item = v.items[i];
      if (item.type != JsonType.OBJECT || !this.only(item, ["name", "id", "dscp", "mark", "allow", "comment"], where)) {
        return this.bad(where + " must be { name, id, dscp, mark, allow }");
      }
      const s = new Service();
      const name = item.get("name");
      if (name == null || name.type != JsonType.STRING || name.str.length == 0) return this.bad(where + ".name must be a non-empty string");
      if (g.serviceIndexByName(name.str) != 0) return this.bad(where + ".name \"" + name.str + "\" appears twice");
      s.name = name.str;
      s.id = <i64>this.number(item, "id", where, 0, 9007199254740991, true, -1, "an integer from 0 to 2^53-1");
      s.dscp = <i32>this.number(item, "dscp", where, 0, 63, true, -1, "an integer from 0 to 63");
      s.mark = <u32>this.number(item, "mark", where, 1, 4294967295, true, <f64>(0x10 + i), "an integer from 1 to 4294967295");
      const allow = item.get("allow");
      if (allow != null) {
        if (allow.type != JsonType.BOOL) return this.bad(where + ".allow must be true or false");
        s.allow = allow.bool;
      }
      g.services.push(s);
    }
    return this.error.length == 0;
  }
}
