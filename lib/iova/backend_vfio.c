/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VFIO type1 backend (include/uapi/linux/vfio.h, drivers/vfio/vfio_iommu_type1.c,
 * Documentation/driver-api/vfio.rst).
 *
 * Either over a container the caller already set up (DPDK: rte_vfio_get_container_fd())
 * or over our own: open /dev/vfio/vfio, check VFIO_GET_API_VERSION == VFIO_API_VERSION
 * and VFIO_CHECK_EXTENSION(VFIO_TYPE1v2_IOMMU), open the group, VFIO_GROUP_GET_STATUS
 * must say VIABLE (all devices of the group bound to vfio-pci or none), then
 * VFIO_GROUP_SET_CONTAINER and VFIO_SET_IOMMU(VFIO_TYPE1v2_IOMMU).
 *
 * map/unmap are VFIO_IOMMU_MAP_DMA / VFIO_IOMMU_UNMAP_DMA. The kernel clears the IOMMU
 * PTEs and flushes the IOTLB synchronously inside UNMAP_DMA (iommu_unmap -> iotlb_sync),
 * so inv_queue/inv_flush only count. There is no software device side: dma -> -ENOTSUP.
 * Plain libc: linked into the static iova-vfio-probe.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "iova_priv.h"

struct vfio_be {
	struct iova_backend be;
	int container, group;
	bool own_container;
	uint64_t lo_pfn, hi_pfn; /* aperture, inclusive */
	bool have_aperture;
};

static const struct iova_backend_ops vfio_ops;

bool iova_backend_is_vfio(const struct iova_backend *b)
{
	return b && b->ops == &vfio_ops;
}

static inline struct vfio_be *V(struct iova_backend *b)
{
	return (struct vfio_be *)b;
}

static int vfio_map(struct iova_backend *b, uint64_t iova, void *host, size_t len, int prot)
{
	struct vfio_be *v = V(b);
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = ((prot & IOVA_PROT_READ) ? VFIO_DMA_MAP_FLAG_READ : 0) |
			 ((prot & IOVA_PROT_WRITE) ? VFIO_DMA_MAP_FLAG_WRITE : 0),
		.vaddr = (uint64_t)(uintptr_t)host,
		.iova = iova,
		.size = len,
	};
	if (ioctl(v->container, VFIO_IOMMU_MAP_DMA, &m) < 0) {
		int e = errno;
		fprintf(stderr, "iova vfio: VFIO_IOMMU_MAP_DMA iova=0x%llx size=%zu vaddr=%p: %s\n",
			(unsigned long long)iova, len, host, strerror(e));
		return -e;
	}
	b->phys_maps++;
	return 0;
}

static int vfio_unmap(struct iova_backend *b, uint64_t iova, size_t len)
{
	struct vfio_be *v = V(b);
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = iova, .size = len };
	if (ioctl(v->container, VFIO_IOMMU_UNMAP_DMA, &u) < 0) {
		int e = errno;
		fprintf(stderr, "iova vfio: VFIO_IOMMU_UNMAP_DMA iova=0x%llx size=%zu: %s\n",
			(unsigned long long)iova, len, strerror(e));
		return -e;
	}
	if (u.size != len) { /* type1 returns the bytes unmapped; 0 = nothing there */
		fprintf(stderr,
			"iova vfio: VFIO_IOMMU_UNMAP_DMA iova=0x%llx size=%zu unmapped %llu bytes"
			" (not a mapping made by map, or a partial range)\n",
			(unsigned long long)iova, len, (unsigned long long)u.size);
		return -ENOENT;
	}
	b->phys_unmaps++;
	/* the kernel's iotlb_sync inside UNMAP_DMA is the invalidation */
	b->phys_invalidations++;
	return 0;
}

static int vfio_inv_queue(struct iova_backend *b, uint64_t iova, uint64_t npages)
{
	return 0; /* done synchronously by UNMAP_DMA */
}

static int vfio_inv_flush(struct iova_backend *b, bool wait)
{
	return 0;
}

static int vfio_dma(struct iova_backend *b, uint64_t iova, size_t len, int access, void **host)
{
	return -ENOTSUP; /* a real device does the DMA */
}

static void vfio_destroy(struct iova_backend *b)
{
	struct vfio_be *v = V(b);
	if (v->group >= 0) {
		ioctl(v->group, VFIO_GROUP_UNSET_CONTAINER);
		close(v->group);
	}
	if (v->own_container && v->container >= 0)
		close(v->container);
	free(v);
}

static const struct iova_backend_ops vfio_ops = {
	.name = "vfio",
	.map = vfio_map,
	.unmap = vfio_unmap,
	.inv_queue = vfio_inv_queue,
	.inv_flush = vfio_inv_flush,
	.dma = vfio_dma,
	.destroy = vfio_destroy,
};

/* VFIO_IOMMU_GET_INFO + the IOVA-range capability: keep the largest usable range. */
static void query_aperture(struct vfio_be *v)
{
	struct vfio_iommu_type1_info hdr = { .argsz = sizeof(hdr) };
	if (ioctl(v->container, VFIO_IOMMU_GET_INFO, &hdr) < 0)
		return;
	if (!(hdr.flags & VFIO_IOMMU_INFO_CAPS) || hdr.argsz <= sizeof(hdr))
		return;
	struct vfio_iommu_type1_info *info = calloc(1, hdr.argsz);
	if (!info)
		return;
	info->argsz = hdr.argsz;
	if (ioctl(v->container, VFIO_IOMMU_GET_INFO, info) == 0 && info->cap_offset) {
		uint32_t off = info->cap_offset;
		while (off && off + sizeof(struct vfio_info_cap_header) <= info->argsz) {
			struct vfio_info_cap_header *h = (void *)((char *)info + off);
			if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
				struct vfio_iommu_type1_info_cap_iova_range *r = (void *)h;
				uint64_t best = 0;
				for (uint32_t i = 0; i < r->nr_iovas; i++) {
					if ((char *)&r->iova_ranges[i + 1] >
					    (char *)info + info->argsz)
						break;
					uint64_t s =
						(r->iova_ranges[i].start + IOVA_PAGE_SIZE - 1) >>
						IOVA_PAGE_SHIFT;
					uint64_t e = (r->iova_ranges[i].end + 1) >>
						     IOVA_PAGE_SHIFT; /* exclusive */
					if (s == 0)
						s = 1; /* keep IOVA 0 unused */
					if (e > s && e - s > best) {
						best = e - s;
						v->lo_pfn = s;
						v->hi_pfn = e - 1;
						v->have_aperture = true;
					}
				}
				break;
			}
			off = h->next;
		}
	}
	free(info);
}

int iova_backend_vfio_aperture(struct iova_backend *b, uint64_t *lo_pfn, uint64_t *hi_pfn)
{
	if (!iova_backend_is_vfio(b))
		return -EINVAL;
	struct vfio_be *v = V(b);
	if (!v->have_aperture)
		return -ENODATA;
	*lo_pfn = v->lo_pfn;
	*hi_pfn = v->hi_pfn;
	return 0;
}

#define FAIL(err, ...)                                      \
	do {                                                \
		fprintf(stderr, "iova vfio: " __VA_ARGS__); \
		rc = (err);                                 \
		goto fail;                                  \
	} while (0)

struct iova_backend *iova_backend_vfio_create(int container_fd, const char *group_path)
{
	struct vfio_be *v = calloc(1, sizeof(*v));
	if (!v) {
		errno = ENOMEM;
		return NULL;
	}
	v->be.ops = &vfio_ops;
	v->be.priv = v;
	v->container = container_fd;
	v->group = -1;
	int rc = 0;

	if (container_fd < 0) {
		if (!group_path || !*group_path)
			FAIL(EINVAL,
			     "no container fd and no group path: pass the VFIO group, e.g. /dev/vfio/12\n");
		v->own_container = true;
		v->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
		if (v->container < 0)
			FAIL(errno,
			     "open /dev/vfio/vfio: %s (no VFIO on this host: load vfio and vfio_iommu_type1, "
			     "and enable the IOMMU, e.g. intel_iommu=on)\n",
			     strerror(errno));
		int ver = ioctl(v->container, VFIO_GET_API_VERSION);
		if (ver != VFIO_API_VERSION)
			FAIL(EINVAL, "VFIO_GET_API_VERSION: %d, expected %d\n", ver,
			     VFIO_API_VERSION);
		if (ioctl(v->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) != 1)
			FAIL(ENOTSUP, "VFIO_CHECK_EXTENSION(VFIO_TYPE1v2_IOMMU): not supported "
				      "(no IOMMU, or vfio_iommu_type1 not loaded)\n");
		v->group = open(group_path, O_RDWR | O_CLOEXEC);
		if (v->group < 0)
			FAIL(errno,
			     "open %s: %s (bind the device to vfio-pci; the group number is "
			     "/sys/bus/pci/devices/<bdf>/iommu_group)\n",
			     group_path, strerror(errno));
		struct vfio_group_status gs = { .argsz = sizeof(gs) };
		if (ioctl(v->group, VFIO_GROUP_GET_STATUS, &gs) < 0)
			FAIL(errno, "VFIO_GROUP_GET_STATUS %s: %s\n", group_path, strerror(errno));
		if (!(gs.flags & VFIO_GROUP_FLAGS_VIABLE))
			FAIL(EPERM,
			     "VFIO_GROUP_GET_STATUS %s: group not viable (bind every device of the "
			     "group to vfio-pci, see /sys/kernel/iommu_groups/N/devices)\n",
			     group_path);
		if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container) < 0)
			FAIL(errno, "VFIO_GROUP_SET_CONTAINER %s: %s\n", group_path,
			     strerror(errno));
		if (ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0)
			FAIL(errno, "VFIO_SET_IOMMU(VFIO_TYPE1v2_IOMMU): %s\n", strerror(errno));
	}
	query_aperture(v);
	return &v->be;
fail:
	if (v->group >= 0)
		close(v->group);
	if (v->own_container && v->container >= 0)
		close(v->container);
	free(v);
	errno = rc ? rc : EIO;
	return NULL;
}
