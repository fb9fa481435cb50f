/*
 * pcap and pcapng, read and written exactly as src/pcap/pcap.ts and
 * pcapng.ts do: the same files are accepted and refused (the checks below
 * are theirs, in their order), timestamps come out as the same doubles, and
 * the writers produce the same bytes. Every read is bounds-checked against
 * the file's length before it happens; nothing is trusted from the file.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"

/* draft-ietf-opsawg-pcap §4 */
#define PCAP_MAGIC_MICROSECONDS 0xa1b2c3d4u
#define PCAP_MAGIC_NANOSECONDS 0xa1b23c4du
#define PCAP_MAGIC_MODIFIED 0xa1b2cd34u
#define PCAP_FILE_HEADER 24u
#define PCAP_RECORD_HEADER 16u
/* libpcap's LT_LINKTYPE(): bits 26..31 carry FCS information. */
#define PCAP_LINKTYPE_MASK 0x03ffffffu

/* draft-ietf-opsawg-pcapng §4 */
#define BLOCK_SECTION_HEADER 0x0a0d0d0au
#define BLOCK_INTERFACE_DESCRIPTION 1u
#define BLOCK_PACKET_OBSOLETE 2u
#define BLOCK_SIMPLE_PACKET 3u
#define BLOCK_ENHANCED_PACKET 6u
#define BYTE_ORDER_MAGIC 0x1a2b3c4du
#define OPT_ENDOFOPT 0u
#define OPT_IF_TSRESOL 9u
#define OPT_IF_TSOFFSET 14u
/* if_tsresol's default: 10^-6 s. */
#define DEFAULT_TSRESOL 6u

static uint16_t rd16(const uint8_t *p, int le)
{
	return le ? (uint16_t)(p[0] | p[1] << 8) : (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p, int le)
{
	return le ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
		: (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void wr16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

static int fail(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return -1;
}

double capture_timestamp(const struct capture_packet *p)
{
	return p->ts_sec + (double)p->ts_nsec / 1e9;
}

static int add_packet(struct capture *cap, size_t *room, const struct capture_packet *p)
{
	if (cap->count == *room) {
		size_t grown = *room ? *room * 2 : 256;
		struct capture_packet *more = realloc(cap->packets, grown * sizeof *more);

		if (!more)
			return -1;
		cap->packets = more;
		*room = grown;
	}
	cap->packets[cap->count++] = *p;
	return 0;
}

/* checkPacketLimits() in src/pcap/capture.ts. */
static int over_limits(const struct capture *cap, uint32_t captured, size_t at, char *err, size_t err_len)
{
	if (cap->count >= CAPTURE_MAX_PACKETS)
		return fail(err, err_len, "more than maxPackets (%u) packets (at byte offset %zu)", CAPTURE_MAX_PACKETS, at);
	if (captured > CAPTURE_MAX_PACKET_BYTES)
		return fail(err, err_len, "captured length %u exceeds maxPacketBytes (%u) (at byte offset %zu)", captured,
		            CAPTURE_MAX_PACKET_BYTES, at);
	return 0;
}

static int read_pcap(const uint8_t *b, size_t len, struct capture *cap, char *err, size_t err_len)
{
	uint32_t magic_le = rd32(b, 1), magic_be = rd32(b, 0), resolution;
	size_t room = 0, off = PCAP_FILE_HEADER;
	int le, ns;
	uint16_t major;

	if (magic_le == PCAP_MAGIC_MICROSECONDS || magic_le == PCAP_MAGIC_NANOSECONDS)
		le = 1, ns = magic_le == PCAP_MAGIC_NANOSECONDS;
	else
		le = 0, ns = magic_be == PCAP_MAGIC_NANOSECONDS;
	if (len < PCAP_FILE_HEADER)
		return fail(err, err_len, "pcap file header: %zu of 24 bytes (at byte offset 0)", len);
	major = rd16(b + 4, le);
	/* §4: 2.4 is current; libpcap also reads 2.2 and 2.3, whose records are the same. */
	if (major != 2)
		return fail(err, err_len, "pcap version %u.%u is not supported (only 2.x) (at byte offset 4)", major,
		            rd16(b + 6, le));
	cap->format = CAPTURE_PCAP;
	cap->link = rd32(b + 20, le) & PCAP_LINKTYPE_MASK;
	resolution = ns ? 1000000000u : 1000000u;
	while (off < len) {
		struct capture_packet p;
		uint32_t fraction, captured;

		if (len - off < PCAP_RECORD_HEADER)
			return fail(err, err_len, "pcap record %zu header: %zu of 16 bytes (at byte offset %zu)", cap->count,
			            len - off, off);
		fraction = rd32(b + off + 4, le);
		captured = rd32(b + off + 8, le);
		if (fraction >= resolution)
			return fail(err, err_len, "pcap record %zu: sub-second timestamp %u is not below %u (at byte offset %zu)",
			            cap->count, fraction, resolution, off + 4);
		if (over_limits(cap, captured, off + 8, err, err_len))
			return -1;
		off += PCAP_RECORD_HEADER;
		if (len - off < captured)
			return fail(err, err_len, "pcap record %zu data: %zu of %u bytes (at byte offset %zu)", cap->count,
			            len - off, captured, off);
		p.data = b + off;
		p.len = captured;
		p.link = cap->link;
		p.ts_sec = rd32(b + off - PCAP_RECORD_HEADER, le);
		p.ts_nsec = ns ? fraction : fraction * 1000u;
		if (add_packet(cap, &room, &p))
			return fail(err, err_len, "out of memory");
		off += captured;
	}
	return 0;
}

/* An interface of the current pcapng section. */
struct iface {
	uint32_t link, snaplen;
	uint8_t tsresol;
	int64_t offset_seconds;
};

/* hi:lo = a * 1e9 (a 64 x 30-bit product: no 128-bit type on 32-bit boards). */
static void mul_1e9(uint64_t a, uint64_t *hi, uint64_t *lo)
{
	uint64_t low = (a & 0xffffffffu) * 1000000000u, mid = (a >> 32) * 1000000000u;

	*hi = mid >> 32;
	*lo = mid << 32;
	*lo += low;
	if (*lo < low)
		(*hi)++;
}

static uint64_t shift_right_128(uint64_t hi, uint64_t lo, unsigned s)
{
	if (s == 0)
		return lo;
	if (s < 64)
		return lo >> s | hi << (64 - s);
	return s < 128 ? hi >> (s - 64) : 0;
}

static uint64_t pow10_u64(unsigned e)
{
	uint64_t v = 1;

	while (e--)
		v *= 10;
	return v;
}

/*
 * makePacket() in pcapng.ts, with its BigInt arithmetic done exactly:
 * seconds = ticks / units, nsec = (ticks % units) * 1e9 / units (floor),
 * units = 10^e or 2^e (if_tsresol, e up to 127).
 */
static void split_ticks(uint64_t ticks, uint8_t tsresol, uint64_t *sec, uint32_t *nsec)
{
	unsigned e = tsresol & 0x7f;

	if (tsresol & 0x80) {
		uint64_t rem = e < 64 ? ticks & ((UINT64_C(1) << e) - 1) : ticks, hi, lo;

		*sec = e < 64 ? ticks >> e : 0;
		mul_1e9(rem, &hi, &lo);
		*nsec = (uint32_t)shift_right_128(hi, lo, e);
	} else if (e <= 19) {
		uint64_t units = pow10_u64(e), rem = ticks % units;

		*sec = ticks / units;
		*nsec = (uint32_t)(e <= 9 ? rem * pow10_u64(9 - e) : rem / pow10_u64(e - 9));
	} else {
		/* units > 2^64 > ticks: no whole second; ticks * 1e9 / 10^e = ticks / 10^(e - 9). */
		*sec = 0;
		*nsec = e - 9 <= 19 ? (uint32_t)(ticks / pow10_u64(e - 9)) : 0;
	}
}

static const char *block_name(uint32_t type, char *buf, size_t n)
{
	switch (type) {
	case BLOCK_SECTION_HEADER: return "Section Header Block";
	case BLOCK_INTERFACE_DESCRIPTION: return "Interface Description Block";
	case BLOCK_PACKET_OBSOLETE: return "Packet Block";
	case BLOCK_SIMPLE_PACKET: return "Simple Packet Block";
	case BLOCK_ENHANCED_PACKET: return "Enhanced Packet Block";
	}
	snprintf(buf, n, "block type 0x%08x", (unsigned)type);
	return buf;
}

static uint32_t min_block_length(uint32_t type)
{
	switch (type) {
	case BLOCK_SECTION_HEADER: return 28;
	case BLOCK_INTERFACE_DESCRIPTION: return 20;
	case BLOCK_PACKET_OBSOLETE: return 32;
	case BLOCK_SIMPLE_PACKET: return 16;
	case BLOCK_ENHANCED_PACKET: return 32;
	}
	return 12;
}

/* §3.5 options of an IDB: code u16, length u16, value padded to 4; opt_endofopt or the block's end closes them. */
static int read_interface_options(const uint8_t *b, int le, size_t at, size_t end, struct iface *f, char *err,
                                  size_t err_len)
{
	while (at < end) {
		uint32_t code, length, padded;
		size_t value;

		if (end - at < 4)
			return fail(err, err_len, "pcapng option header: %zu of 4 bytes left in the block (at byte offset %zu)",
			            end - at, at);
		code = rd16(b + at, le);
		length = rd16(b + at + 2, le);
		if (code == OPT_ENDOFOPT)
			return 0;
		value = at + 4;
		padded = (length + 3) & ~3u;
		if (padded > end - value)
			return fail(err, err_len, "pcapng option %u: length %u overruns the block (at byte offset %zu)", code,
			            length, at + 2);
		if (code == OPT_IF_TSRESOL) {
			if (length != 1)
				return fail(err, err_len, "pcapng if_tsresol: length %u is not 1 (at byte offset %zu)", length,
				            at + 2);
			f->tsresol = b[value];
		} else if (code == OPT_IF_TSOFFSET) {
			uint64_t hi, lo;

			if (length != 8)
				return fail(err, err_len, "pcapng if_tsoffset: length %u is not 8 (at byte offset %zu)", length,
				            at + 2);
			hi = rd32(b + value + (le ? 4 : 0), le);
			lo = rd32(b + value + (le ? 0 : 4), le);
			f->offset_seconds = (int64_t)(hi << 32 | lo);
		}
		at = value + padded;
	}
	return 0;
}

static int read_pcapng(const uint8_t *b, size_t len, struct capture *cap, char *err, size_t err_len)
{
	struct iface *section = NULL;
	size_t n_section = 0, room_section = 0, room = 0, off = 0;
	int le = 1, in_section = 0, rc = -1;
	char name_buf[40];

	cap->format = CAPTURE_PCAPNG;
	while (off < len) {
		size_t remaining = len - off, body, end;
		uint32_t type, length, trailer;
		const char *name;

		if (remaining < 8) {
			fail(err, err_len, "pcapng block header: %zu of 8 bytes (at byte offset %zu)", remaining, off);
			goto out;
		}
		type = rd32(b + off, le);
		if (rd32(b + off, 0) == BLOCK_SECTION_HEADER) {
			/* §4.1: the byte-order magic fixes the order of the whole section, its length included. */
			if (remaining < 12) {
				fail(err, err_len, "pcapng Section Header Block: %zu of 12 bytes (at byte offset %zu)", remaining, off);
				goto out;
			}
			if (rd32(b + off + 8, 1) == BYTE_ORDER_MAGIC) {
				le = 1;
			} else if (rd32(b + off + 8, 0) == BYTE_ORDER_MAGIC) {
				le = 0;
			} else {
				fail(err, err_len, "pcapng Section Header Block byte-order magic 0x%08x is not 1a2b3c4d (at byte offset %zu)",
				     (unsigned)rd32(b + off + 8, 0), off + 8);
				goto out;
			}
			type = BLOCK_SECTION_HEADER;
		}
		length = rd32(b + off + 4, le);
		name = block_name(type, name_buf, sizeof name_buf);
		if (length % 4) {
			fail(err, err_len, "pcapng %s: total length %u is not a multiple of 4 (at byte offset %zu)", name, length,
			     off + 4);
			goto out;
		}
		if (length < min_block_length(type)) {
			fail(err, err_len, "pcapng %s: total length %u is below %u (at byte offset %zu)", name, length,
			     min_block_length(type), off + 4);
			goto out;
		}
		if (length > remaining) {
			fail(err, err_len, "pcapng %s: %zu of %u bytes (at byte offset %zu)", name, remaining, length, off);
			goto out;
		}
		trailer = rd32(b + off + length - 4, le);
		if (trailer != length) {
			fail(err, err_len, "pcapng %s: trailing total length %u differs from leading %u (at byte offset %zu)", name,
			     trailer, length, off + length - 4);
			goto out;
		}
		body = off + 8;
		end = off + length - 4;

		if (type == BLOCK_SECTION_HEADER) {
			uint16_t major = rd16(b + body + 4, le);

			if (major != 1) {
				fail(err, err_len, "pcapng version %u.%u is not supported (only 1.x) (at byte offset %zu)", major,
				     rd16(b + body + 6, le), body + 4);
				goto out;
			}
			in_section = 1;
			n_section = 0;
		} else if (!in_section) {
			fail(err, err_len, "pcapng %s before any Section Header Block (at byte offset %zu)", name, off);
			goto out;
		} else if (type == BLOCK_INTERFACE_DESCRIPTION) {
			struct iface f = { rd16(b + body, le), rd32(b + body + 4, le), DEFAULT_TSRESOL, 0 };

			if (read_interface_options(b, le, body + 8, end, &f, err, err_len))
				goto out;
			if (n_section == room_section) {
				size_t grown = room_section ? room_section * 2 : 8;
				struct iface *more = realloc(section, grown * sizeof *more);

				if (!more) {
					fail(err, err_len, "out of memory");
					goto out;
				}
				section = more, room_section = grown;
			}
			section[n_section++] = f;
		} else if (type == BLOCK_ENHANCED_PACKET || type == BLOCK_PACKET_OBSOLETE) {
			/* §4.3 EPB: interface u32; Appendix A Packet Block: interface u16, drops u16. Then ts high, ts low, captured, original. */
			uint32_t index = type == BLOCK_ENHANCED_PACKET ? rd32(b + body, le) : rd16(b + body, le);
			uint32_t captured = rd32(b + body + 12, le);
			uint64_t ticks = (uint64_t)rd32(b + body + 4, le) << 32 | rd32(b + body + 8, le), sec;
			struct capture_packet p;

			if (index >= n_section) {
				fail(err, err_len, "pcapng %s: interface %u has no Interface Description Block in this section (at byte offset %zu)",
				     name, index, body);
				goto out;
			}
			if (over_limits(cap, captured, body + 12, err, err_len))
				goto out;
			if (captured > end - (body + 20)) {
				fail(err, err_len, "pcapng %s: captured length %u overruns the block (%zu bytes left) (at byte offset %zu)",
				     name, captured, end - (body + 20), body + 12);
				goto out;
			}
			split_ticks(ticks, section[index].tsresol, &sec, &p.ts_nsec);
			p.ts_sec = (double)sec + (double)section[index].offset_seconds;
			p.data = b + body + 20;
			p.len = captured;
			p.link = section[index].link;
			if (add_packet(cap, &room, &p)) {
				fail(err, err_len, "out of memory");
				goto out;
			}
		} else if (type == BLOCK_SIMPLE_PACKET) {
			/* §4.4: the section's first interface, no timestamp, captured length implied by the snap length. */
			uint32_t original, captured;
			struct capture_packet p;

			if (n_section == 0) {
				fail(err, err_len, "pcapng Simple Packet Block without an Interface Description Block in this section (at byte offset %zu)",
				     off);
				goto out;
			}
			original = rd32(b + body, le);
			captured = section[0].snaplen != 0 && original > section[0].snaplen ? section[0].snaplen : original;
			if (over_limits(cap, captured, body, err, err_len))
				goto out;
			if (captured > end - (body + 4)) {
				fail(err, err_len, "pcapng Simple Packet Block: captured length %u overruns the block (%zu bytes left) (at byte offset %zu)",
				     captured, end - (body + 4), body);
				goto out;
			}
			p.data = b + body + 4;
			p.len = captured;
			p.link = section[0].link;
			p.ts_sec = 0;
			p.ts_nsec = 0;
			if (add_packet(cap, &room, &p)) {
				fail(err, err_len, "out of memory");
				goto out;
			}
		}
		/* Any other block is skipped by its length (§3.1). */
		off += length;
	}
	rc = 0;
out:
	free(section);
	return rc;
}

int capture_read(const uint8_t *bytes, size_t len, struct capture *cap, char *err, size_t err_len)
{
	uint32_t le, be;
	int rc;

	memset(cap, 0, sizeof *cap);
	if (len < 4)
		return fail(err, err_len, "capture file: %zu bytes, too short for a magic number (at byte offset 0)", len);
	le = rd32(bytes, 1);
	be = rd32(bytes, 0);
	if (be == BLOCK_SECTION_HEADER)
		rc = read_pcapng(bytes, len, cap, err, err_len);
	else if (le == PCAP_MAGIC_MICROSECONDS || le == PCAP_MAGIC_NANOSECONDS || be == PCAP_MAGIC_MICROSECONDS ||
	         be == PCAP_MAGIC_NANOSECONDS)
		rc = read_pcap(bytes, len, cap, err, err_len);
	else if (le == PCAP_MAGIC_MODIFIED || be == PCAP_MAGIC_MODIFIED)
		rc = fail(err, err_len, "pcap magic a1b2cd34 (modified libpcap) is not supported (at byte offset 0)");
	else
		rc = fail(err, err_len, "not a pcap or pcapng file: magic 0x%08x (at byte offset 0)", (unsigned)be);
	if (rc)
		capture_free(cap);
	return rc;
}

void capture_free(struct capture *cap)
{
	free(cap->packets);
	cap->packets = NULL;
	cap->count = 0;
}

/* splitTimestamp() for exact tsSec/tsNsec: tsSec must be an integer in 0..2^32-1. */
static int check_seconds(const struct capture_packet *p, size_t i, char *err, size_t err_len)
{
	if (!(p->ts_sec >= 0 && p->ts_sec <= 4294967295.0))
		return fail(err, err_len, "packets[%zu].tsSec must be an integer in 0..4294967295, got %.17g", i, p->ts_sec);
	return 0;
}

static int write_pcap(uint32_t link, const struct capture_packet *packets, size_t count, uint8_t **out,
                      size_t *out_len, char *err, size_t err_len)
{
	size_t total = PCAP_FILE_HEADER, at = PCAP_FILE_HEADER;
	uint8_t *o;

	if (link > 0xffff)
		return fail(err, err_len, "linkType must be an integer in 0..65535, got %u", link);
	for (size_t i = 0; i < count; i++) {
		if (check_seconds(&packets[i], i, err, err_len))
			return -1;
		total += PCAP_RECORD_HEADER + packets[i].len;
	}
	if (!(o = calloc(1, total)))
		return fail(err, err_len, "out of memory");
	wr32(o, PCAP_MAGIC_NANOSECONDS);
	wr16(o + 4, 2);
	wr16(o + 6, 4);
	/* thiszone and sigfigs stay 0 (§4). */
	wr32(o + 16, CAPTURE_SNAPLEN);
	wr32(o + 20, link);
	for (size_t i = 0; i < count; i++) {
		const struct capture_packet *p = &packets[i];

		/* Packets are at most CAPTURE_MAX_PACKET_BYTES = the snap length: never cut. */
		wr32(o + at, (uint32_t)p->ts_sec);
		wr32(o + at + 4, p->ts_nsec);
		wr32(o + at + 8, p->len);
		wr32(o + at + 12, p->len);
		if (p->len)
			memcpy(o + at + 16, p->data, p->len);
		at += PCAP_RECORD_HEADER + p->len;
	}
	*out = o;
	*out_len = total;
	return 0;
}

static size_t block(uint8_t *o, size_t *at, uint32_t type, uint32_t length)
{
	wr32(o + *at, type);
	wr32(o + *at + 4, length);
	wr32(o + *at + length - 4, length);
	*at += length;
	return *at - length + 8;
}

/*
 * writePcapng(): one little-endian section, one IDB (snap length 262,144,
 * if_tsresol 9) per distinct link type in order of first use, one EPB per
 * packet with nanosecond ticks.
 */
static int write_pcapng(const struct capture_packet *packets, size_t count, uint8_t **out, size_t *out_len,
                        char *err, size_t err_len)
{
	enum { SHB = 28, IDB = 32 };
	uint32_t *links = NULL, *iface = NULL;
	size_t n_links = 0, total = SHB, at = 0;
	uint8_t *o;

	if (count && (!(links = malloc(count * sizeof *links)) || !(iface = malloc(count * sizeof *iface)))) {
		free(links);
		return fail(err, err_len, "out of memory");
	}
	for (size_t i = 0; i < count; i++) {
		size_t k = 0;

		if (check_seconds(&packets[i], i, err, err_len)) {
			free(links), free(iface);
			return -1;
		}
		while (k < n_links && links[k] != packets[i].link)
			k++;
		if (k == n_links)
			links[n_links++] = packets[i].link;
		iface[i] = (uint32_t)k;
		total += 32 + ((packets[i].len + 3u) & ~3u);
	}
	total += IDB * n_links;
	if (!(o = calloc(1, total))) {
		free(links), free(iface);
		return fail(err, err_len, "out of memory");
	}
	{
		size_t body = block(o, &at, BLOCK_SECTION_HEADER, SHB);

		wr32(o + body, BYTE_ORDER_MAGIC);
		wr16(o + body + 4, 1);
		wr16(o + body + 6, 0);
		memset(o + body + 8, 0xff, 8); /* §4.1: section length not given (-1) */
	}
	for (size_t k = 0; k < n_links; k++) {
		size_t body = block(o, &at, BLOCK_INTERFACE_DESCRIPTION, IDB);

		wr16(o + body, links[k]);
		wr32(o + body + 4, CAPTURE_SNAPLEN);
		wr16(o + body + 8, OPT_IF_TSRESOL);
		wr16(o + body + 10, 1);
		o[body + 12] = 9;
		/* opt_endofopt: the 4 zero bytes at body + 16 */
	}
	for (size_t i = 0; i < count; i++) {
		const struct capture_packet *p = &packets[i];
		uint64_t ticks = (uint64_t)(uint32_t)p->ts_sec * 1000000000u + p->ts_nsec;
		size_t body = block(o, &at, BLOCK_ENHANCED_PACKET, 32 + ((p->len + 3u) & ~3u));

		wr32(o + body, iface[i]);
		wr32(o + body + 4, (uint32_t)(ticks >> 32));
		wr32(o + body + 8, (uint32_t)ticks);
		wr32(o + body + 12, p->len);
		wr32(o + body + 16, p->len);
		if (p->len)
			memcpy(o + body + 20, p->data, p->len);
	}
	free(links), free(iface);
	*out = o;
	*out_len = total;
	return 0;
}

int capture_write(enum capture_format format, uint32_t link, const struct capture_packet *packets, size_t count,
                  uint8_t **out, size_t *out_len, char *err, size_t err_len)
{
	return format == CAPTURE_PCAPNG ? write_pcapng(packets, count, out, out_len, err, err_len)
		: write_pcap(link, packets, count, out, out_len, err, err_len);
}
