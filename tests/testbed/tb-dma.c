/* tb-dma: DMA containment on a real (emulated) IOMMU, inside the test-bed guest.
 *   tb-dma [--skip-unmap] TX_BDF RX_BDF
 * Two QEMU e1000e NICs on one hub, both bound to vfio-pci, driven from user space through one
 * VFIO type1 container (a tiny legacy-descriptor driver: reset, link up, one TX and one RX ring).
 *  1. positive control: a 4 KiB page P is mapped at IOVA X; RX descriptor 0 points at X; the TX
 *     NIC sends a frame; the RX NIC must DMA it into P (P changes to the frame's bytes).
 *  2. containment: P is refilled with 0xAA and X is unmapped (VFIO_IOMMU_UNMAP_DMA: the
 *     guest's intel-iommu invalidates the IOTLB at once, as the "strict" strategy does); RX
 *     descriptor 1 points at X; a second frame is sent. The device's write to X must fault in
 *     the IOMMU: P stays all 0xAA (and the kernel logs a DMAR fault; checked by the script).
 * --skip-unmap leaves X mapped in step 2: the detector's own check (P must then change).
 * Prints one JSON line; exit 0 when both parts hold, 1 otherwise, 2 on setup errors. */
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define E_CTRL 0x0000
#define STATUS 0x0008
#define IMC 0x00d8
#define RCTL 0x0100
#define TCTL 0x0400
#define RDBAL 0x2800
#define RDBAH 0x2804
#define RDLEN 0x2808
#define RDH 0x2810
#define RDT 0x2818
#define TDBAL 0x3800
#define TDBAH 0x3804
#define TDLEN 0x3808
#define TDH 0x3810
#define TDT 0x3818

#define IOVA_RXRING 0x100000ull
#define IOVA_TXRING 0x200000ull
#define IOVA_TXBUF 0x300000ull
#define IOVA_X 0x400000ull
#define NDESC 8

struct rxd {
	uint64_t addr;
	uint16_t len, csum;
	uint8_t status, errors;
	uint16_t special;
};
struct txd {
	uint64_t addr;
	uint16_t len;
	uint8_t cso, cmd, status, css;
	uint16_t special;
};

static int container = -1;

static void die(const char *what)
{
	fprintf(stderr, "tb-dma: %s: %s\n", what, strerror(errno));
	printf("{\"tool\":\"tb-dma\",\"setup_error\":\"%s\"}\n", what);
	exit(2);
}

struct nic {
	int dev;
	volatile uint8_t *bar;
	off_t cfg_off;
};

static void wr(struct nic *n, unsigned reg, uint32_t v)
{
	*(volatile uint32_t *)(n->bar + reg) = v;
}
static uint32_t rd(struct nic *n, unsigned reg)
{
	return *(volatile uint32_t *)(n->bar + reg);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int group_of(const char *bdf)
{
	char p[256], l[256];
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	ssize_t k = readlink(p, l, sizeof(l) - 1);
	if (k < 0)
		die("iommu_group link");
	l[k] = 0;
	return atoi(strrchr(l, '/') + 1);
}

static void open_nic(struct nic *n, const char *bdf)
{
	char p[64];
	snprintf(p, sizeof(p), "/dev/vfio/%d", group_of(bdf));
	int g = open(p, O_RDWR);
	if (g < 0)
		die("open group");
	struct vfio_group_status st = { .argsz = sizeof(st) };
	if (ioctl(g, VFIO_GROUP_GET_STATUS, &st) < 0 || !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("group not viable");
	if (ioctl(g, VFIO_GROUP_SET_CONTAINER, &container) < 0)
		die("SET_CONTAINER");
	static int iommu_set;
	if (!iommu_set++ && ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU) < 0)
		die("SET_IOMMU");
	n->dev = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (n->dev < 0)
		die("GET_DEVICE_FD");
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = VFIO_PCI_BAR0_REGION_INDEX };
	if (ioctl(n->dev, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0)
		die("BAR0 info");
	n->bar = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, n->dev, (off_t)ri.offset);
	if (n->bar == MAP_FAILED)
		die("mmap BAR0");
	struct vfio_region_info ci = { .argsz = sizeof(ci), .index = VFIO_PCI_CONFIG_REGION_INDEX };
	if (ioctl(n->dev, VFIO_DEVICE_GET_REGION_INFO, &ci) < 0)
		die("config info");
	n->cfg_off = (off_t)ci.offset;
	uint16_t cmd;
	if (pread(n->dev, &cmd, 2, n->cfg_off + 4) != 2)
		die("config read");
	cmd |= 0x6; /* memory space + bus master */
	if (pwrite(n->dev, &cmd, 2, n->cfg_off + 4) != 2)
		die("config write");
	wr(n, IMC, 0xffffffff);
	wr(n, E_CTRL, rd(n, E_CTRL) | (1u << 26)); /* RST */
	sleep_ms(20);
	wr(n, IMC, 0xffffffff);
	wr(n, E_CTRL, (rd(n, E_CTRL) & ~(1u << 26)) | (1u << 6)); /* SLU */
}

static void *map_page(uint64_t iova)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED)
		die("mmap page");
	memset(p, 0, 4096);
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m),
					      .flags = VFIO_DMA_MAP_FLAG_READ |
						       VFIO_DMA_MAP_FLAG_WRITE,
					      .vaddr = (uintptr_t)p,
					      .iova = iova,
					      .size = 4096 };
	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &m) < 0)
		die("MAP_DMA");
	return p;
}

static int all_bytes(const uint8_t *p, uint8_t v)
{
	for (int i = 0; i < 4096; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

static int wait_rx(volatile struct rxd *r, long ms)
{
	for (long t = 0; t < ms; t += 10) {
		if (r->status & 1)
			return 1;
		sleep_ms(10);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int skip_unmap = argc == 4 && strcmp(argv[1], "--skip-unmap") == 0;
	if (skip_unmap) {
		argv++;
		argc--;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: tb-dma [--skip-unmap] TX_BDF RX_BDF\n");
		return 2;
	}
	container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0)
		die("/dev/vfio/vfio");
	struct nic tx, rx;
	open_nic(&tx, argv[1]);
	open_nic(&rx, argv[2]);

	volatile struct rxd *rring = map_page(IOVA_RXRING);
	volatile struct txd *tring = map_page(IOVA_TXRING);
	uint8_t *txbuf = map_page(IOVA_TXBUF);
	uint8_t *P = map_page(IOVA_X);
	memset(P, 0xAA, 4096);

	/* link */
	int up = 0;
	for (int t = 0; t < 300 && !up; t++) {
		up = (rd(&tx, STATUS) & 2) && (rd(&rx, STATUS) & 2);
		if (!up)
			sleep_ms(10);
	}
	/* RX ring: descriptor 0 and 1 both point at X; only descriptor 0 is given now */
	for (int i = 0; i < NDESC; i++) {
		rring[i].addr = IOVA_X;
		rring[i].status = 0;
	}
	wr(&rx, RDBAL, (uint32_t)IOVA_RXRING);
	wr(&rx, RDBAH, 0);
	wr(&rx, RDLEN, NDESC * sizeof(struct rxd));
	wr(&rx, RDH, 0);
	wr(&rx, RDT, 1);
	/* EN | UPE | MPE | BAM | SECRC, BSIZE 2048 */
	wr(&rx, RCTL, (1u << 1) | (1u << 3) | (1u << 4) | (1u << 15) | (1u << 26));
	wr(&tx, TDBAL, (uint32_t)IOVA_TXRING);
	wr(&tx, TDBAH, 0);
	wr(&tx, TDLEN, NDESC * sizeof(struct txd));
	wr(&tx, TDH, 0);
	wr(&tx, TDT, 0);
	wr(&tx, TCTL, (1u << 1) | (1u << 3) | (0x10u << 4) | (0x40u << 12)); /* EN PSP CT COLD */

	/* frame: broadcast, ethertype 0x88b5 (local experimental), payload pattern */
	memset(txbuf, 0xff, 6);
	memcpy(txbuf + 6, "\x52\x54\x00\x00\x00\x01", 6);
	txbuf[12] = 0x88;
	txbuf[13] = 0xb5;
	for (int i = 14; i < 128; i++)
		txbuf[i] = (uint8_t)(0x40 + i);
	const int flen = 128;

	/* 1. positive control */
	tring[0] = (struct txd){ .addr = IOVA_TXBUF, .len = flen, .cmd = 0x0b }; /* EOP IFCS RS */
	wr(&tx, TDT, 1);
	int got1 = wait_rx(&rring[0], 3000);
	int match1 = got1 && memcmp(P, txbuf, flen) == 0;
	int len1 = rring[0].len;

	/* 2. containment: refill P, unmap X (synchronous IOTLB invalidation), send again */
	memset(P, 0xAA, 4096);
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = IOVA_X, .size = 4096 };
	if (!skip_unmap && (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u) < 0 || u.size != 4096))
		die("UNMAP_DMA");
	wr(&rx, RDT, 2);
	tring[1] = (struct txd){ .addr = IOVA_TXBUF, .len = flen, .cmd = 0x0b };
	wr(&tx, TDT, 2);
	int txdone2 = 0;
	for (int t = 0; t < 300 && !txdone2; t++) {
		txdone2 = tring[1].status & 1;
		if (!txdone2)
			sleep_ms(10);
	}
	sleep_ms(500);
	int unchanged = all_bytes(P, 0xAA);
	printf("{\"tool\":\"tb-dma\",\"unmapped\":%s,\"link_up\":%s,\"positive_received\":%s,\"positive_len\":%d,"
	       "\"positive_match\":%s,\"second_tx_done\":%s,\"second_rx_status\":%u,\"rdh\":%u,"
	       "\"memory_unchanged_after_unmap\":%s}\n",
	       skip_unmap ? "false" : "true", up ? "true" : "false", got1 ? "true" : "false", len1,
	       match1 ? "true" : "false", txdone2 ? "true" : "false", rring[1].status, rd(&rx, RDH),
	       unchanged ? "true" : "false");
	return (match1 && txdone2 && unchanged) ? 0 : 1;
}
