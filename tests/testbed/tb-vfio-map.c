/* tb-vfio-map: raw VFIO type1 map/unmap timing inside the test-bed guest (no lib/iova).
 * The baseline row of the real trap-and-emulate measurement: each VFIO_IOMMU_MAP_DMA /
 * UNMAP_DMA of a 4 KiB page goes through the guest's intel-iommu driver, whose queued
 * invalidations QEMU's emulated VT-d (caching mode) traps.
 *   tb-vfio-map GROUP [ITERATIONS] [PAGES]
 * Prints one JSON line: {"tool":"tb-vfio-map","group":G,"iterations":N,"map_ns":..,"unmap_ns":..,
 * "maps":N,"unmaps":N,"errors":0}. Exit 1 on any failure. */
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

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: tb-vfio-map GROUP [ITERATIONS] [PAGES]\n");
		return 2;
	}
	int group = atoi(argv[1]);
	long iters = argc > 2 ? atol(argv[2]) : 1000;
	long pages = argc > 3 ? atol(argv[3]) : 64;
	char path[64];
	int cfd = open("/dev/vfio/vfio", O_RDWR);
	if (cfd < 0) {
		perror("/dev/vfio/vfio");
		return 1;
	}
	if (ioctl(cfd, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    !ioctl(cfd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU)) {
		fprintf(stderr, "tb-vfio-map: no VFIO type1\n");
		return 1;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	int gfd = open(path, O_RDWR);
	if (gfd < 0) {
		perror(path);
		return 1;
	}
	struct vfio_group_status st = { .argsz = sizeof(st) };
	if (ioctl(gfd, VFIO_GROUP_GET_STATUS, &st) < 0) {
		perror("GET_STATUS");
		return 1;
	}
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		fprintf(stderr, "tb-vfio-map: group %d not viable\n", group);
		printf("{\"tool\":\"tb-vfio-map\",\"group\":%d,\"viable\":false}\n", group);
		return 3;
	}
	if (ioctl(gfd, VFIO_GROUP_SET_CONTAINER, &cfd) < 0) {
		perror("SET_CONTAINER");
		return 1;
	}
	if (ioctl(cfd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU) < 0) {
		perror("SET_IOMMU");
		return 1;
	}
	size_t len = (size_t)pages * 4096;
	uint8_t *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(buf, 0x5a, len);
	uint64_t tmap = 0, tunmap = 0;
	long errors = 0;
	const uint64_t iova0 = 1ull << 32;
	for (long i = 0; i < iters; i++) {
		long p = i % pages;
		struct vfio_iommu_type1_dma_map m = {
			.argsz = sizeof(m),
			.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
			.vaddr = (uintptr_t)(buf + p * 4096),
			.iova = iova0 + (uint64_t)p * 4096,
			.size = 4096,
		};
		struct vfio_iommu_type1_dma_unmap u = {
			.argsz = sizeof(u),
			.iova = m.iova,
			.size = 4096,
		};
		uint64_t t0 = now_ns();
		if (ioctl(cfd, VFIO_IOMMU_MAP_DMA, &m) < 0) {
			errors++;
			continue;
		}
		uint64_t t1 = now_ns();
		if (ioctl(cfd, VFIO_IOMMU_UNMAP_DMA, &u) < 0 || u.size != 4096)
			errors++;
		uint64_t t2 = now_ns();
		tmap += t1 - t0;
		tunmap += t2 - t1;
	}
	printf("{\"tool\":\"tb-vfio-map\",\"group\":%d,\"viable\":true,\"iterations\":%ld,\"maps\":%ld,\"unmaps\":%ld,"
	       "\"map_ns\":%.0f,\"unmap_ns\":%.0f,\"errors\":%ld}\n",
	       group, iters, iters, iters, (double)tmap / iters, (double)tunmap / iters, errors);
	return errors ? 1 : 0;
}
