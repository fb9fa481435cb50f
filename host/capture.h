/*
 * Capture files in and out of ntokd, as src/pcap/ reads and writes them:
 * pcap (draft-ietf-opsawg-pcap: either byte order, µs or ns) and pcapng
 * (draft-ietf-opsawg-pcapng: sections of either byte order, interfaces with
 * their link type and if_tsresol / if_tsoffset, Enhanced, Simple and
 * obsolete Packet Blocks). The bytes of a packet are never looked at here:
 * the core parses them.
 */
#ifndef NTOK_CAPTURE_H
#define NTOK_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

/* src/pcap/capture.ts: DEFAULT_MAX_PACKETS, DEFAULT_MAX_PACKET_BYTES, DEFAULT_SNAPLEN. */
#define CAPTURE_MAX_PACKETS 1000000u
#define CAPTURE_MAX_PACKET_BYTES 262144u
#define CAPTURE_SNAPLEN 262144u

enum capture_format { CAPTURE_PCAP, CAPTURE_PCAPNG };

struct capture_packet {
	const uint8_t *data; /* into the file's bytes */
	uint32_t len;
	uint32_t link;
	/*
	 * Seconds and nanoseconds as the TS reader has them (tsSec, tsNsec):
	 * pcapng seconds can leave the u32 range (if_tsoffset, coarse
	 * resolutions) and are a JavaScript number there, so a double here.
	 */
	double ts_sec;
	uint32_t ts_nsec;
};

struct capture {
	enum capture_format format;
	/* pcap: the file header's link type (the writer reuses it). */
	uint32_t link;
	struct capture_packet *packets;
	size_t count;
};

/* Reads bytes[0..len) (kept alive by the caller); 0, or -1 with the reason in err. */
int capture_read(const uint8_t *bytes, size_t len, struct capture *cap, char *err, size_t err_len);
void capture_free(struct capture *cap);

/* tsSec + tsNsec / 1e9, as packetTimestamp() computes it. */
double capture_timestamp(const struct capture_packet *p);

/*
 * The bytes writePcap(link, packets, { nanosecond: true }) or
 * writePcapng(packets, { nanosecond: true }) produce, into *out (malloc'd).
 * 0, or -1 with the reason in err (a timestamp or link type the writers
 * refuse, or no memory).
 */
int capture_write(enum capture_format format, uint32_t link, const struct capture_packet *packets, size_t count,
                  uint8_t **out, size_t *out_len, char *err, size_t err_len);

#endif
