/* SPDX-License-Identifier: BSD-3-Clause */
/** @file frames.h Test helpers: craft valid and malformed Ethernet/IPv4 frames. */
#ifndef VFAPP_TEST_FRAMES_H
#define VFAPP_TEST_FRAMES_H

#include <stdint.h>
#include <string.h>

#include <rte_ip.h>

enum frame_kind {
	FR_VALID = 0,
	FR_TRUNC_ETH, /* 10 bytes */
	FR_TRUNC_IP, /* Ethernet + 12 bytes of IP */
	FR_BAD_IHL, /* IHL 4 */
	FR_BAD_TOTLEN_BIG, /* total length > frame */
	FR_BAD_TOTLEN_SMALL, /* total length < IHL*4 */
	FR_BAD_VERSION, /* version 6 in an IPv4 EtherType */
	FR_BAD_CSUM,
	FR_TTL0,
	FR_TTL1,
	FR_NOT_IPV4, /* ARP EtherType */
	FR_IHL_BEYOND, /* IHL 15 but only 40 bytes of IP present */
	FR__COUNT
};

static inline uint16_t frames_ip_csum(const uint8_t *ip, unsigned int hlen)
{
	uint32_t sum = 0;
	unsigned int i;

	for (i = 0; i < hlen; i += 2)
		if (i != 10)
			sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/**
 * Write a frame of kind k into buf (>= 14 + 20 + 8 + payload_len bytes): Ethernet,
 * IPv4 (20 bytes, TTL ttl, dst dst_ip host order), UDP, payload bytes i*7+seed.
 * @return frame length.
 */
static inline unsigned int frames_build(uint8_t *buf, enum frame_kind k, uint32_t dst_ip,
					uint8_t ttl, unsigned int payload_len, uint8_t seed)
{
	uint8_t *ip = buf + 14, *udp = ip + 20;
	unsigned int len = 14 + 20 + 8 + payload_len, i, totlen = 20 + 8 + payload_len;
	uint16_t c;

	static const uint8_t dst[6] = { 0x02, 0, 0, 0, 0x01, 0x01 };
	static const uint8_t src[6] = { 0x02, 0, 0, 0, 0x01, 0x02 };
	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	buf[12] = 0x08;
	buf[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(totlen >> 8);
	ip[3] = (uint8_t)totlen;
	ip[4] = 0x12;
	ip[5] = 0x34;
	ip[8] = ttl;
	ip[9] = 17;
	ip[12] = 10;
	ip[13] = 0;
	ip[14] = 1;
	ip[15] = 2;
	ip[16] = (uint8_t)(dst_ip >> 24);
	ip[17] = (uint8_t)(dst_ip >> 16);
	ip[18] = (uint8_t)(dst_ip >> 8);
	ip[19] = (uint8_t)dst_ip;
	udp[0] = 0x9c;
	udp[1] = 0x41;
	udp[2] = 0x00;
	udp[3] = 0x09;
	udp[4] = (uint8_t)((8 + payload_len) >> 8);
	udp[5] = (uint8_t)(8 + payload_len);
	udp[6] = udp[7] = 0;
	for (i = 0; i < payload_len; i++)
		udp[8 + i] = (uint8_t)(i * 7 + seed);
	switch (k) {
	case FR_BAD_IHL:
		ip[0] = 0x44;
		break;
	case FR_IHL_BEYOND:
		ip[0] = 0x4f;
		break;
	case FR_BAD_TOTLEN_BIG:
		ip[2] = 0x05;
		ip[3] = 0xdc;
		break;
	case FR_BAD_TOTLEN_SMALL:
		ip[2] = 0;
		ip[3] = 16;
		break;
	case FR_BAD_VERSION:
		ip[0] = 0x65;
		break;
	case FR_TTL0:
		ip[8] = 0;
		break;
	case FR_TTL1:
		ip[8] = 1;
		break;
	case FR_NOT_IPV4:
		buf[12] = 0x08;
		buf[13] = 0x06;
		break;
	default:
		break;
	}
	c = frames_ip_csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	if (k == FR_BAD_CSUM)
		ip[11] ^= 0x5a;
	if (k == FR_TRUNC_ETH)
		return 10;
	if (k == FR_TRUNC_IP)
		return 14 + 12;
	if (k == FR_IHL_BEYOND)
		return 14 + 40; /* IHL says 60 header bytes, 40 are there */
	return len;
}

#endif
