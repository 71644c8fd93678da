/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VFIO type1 backend on a host without an IOMMU: every setup failure must come back as
 * NULL with a meaningful errno (and a message naming the step), never a crash or a
 * half-built backend. The real map/unmap path runs in the QEMU test bed
 * (iova-vfio-probe).
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include "iova.h"
#include "iova_priv.h"

static bool have_vfio(void)
{
	return access("/dev/vfio/vfio", F_OK) == 0;
}

static void test_no_group(void **state)
{
	errno = 0;
	assert_null(iova_backend_vfio_create(-1, NULL));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(iova_backend_vfio_create(-1, ""));
	assert_int_equal(errno, EINVAL);
}

static void test_bogus_group(void **state)
{
	errno = 0;
	assert_null(iova_backend_vfio_create(-1, "/nonexistent/vfio/4242"));
	/* no /dev/vfio/vfio here: ENOENT from the container open; with VFIO but no
	 * IOMMU: ENOTSUP from the type1 check; with both: ENOENT from the group open */
	if (!have_vfio())
		assert_int_equal(errno, ENOENT);
	else
		assert_true(errno == ENOENT || errno == ENOTSUP);
}

static void test_not_a_group(void **state)
{
	/* a file that exists but is no VFIO group: the group ioctl must fail cleanly */
	errno = 0;
	assert_null(iova_backend_vfio_create(-1, "/dev/null"));
	assert_true(errno != 0);
	if (!have_vfio())
		assert_int_equal(errno, ENOENT);
}

static void test_given_container_fd(void **state)
{
	/* a caller-provided fd that is not a VFIO container: creation succeeds (the fd is
	 * trusted, as from rte_vfio_get_container_fd()), and MAP_DMA reports the ioctl error */
	int fd = open("/dev/null", O_RDWR);
	assert_true(fd >= 0);
	struct iova_backend *b = iova_backend_vfio_create(fd, NULL);
	assert_non_null(b);
	assert_true(iova_backend_is_vfio(b));
	uint64_t lo, hi;
	assert_int_equal(iova_backend_vfio_aperture(b, &lo, &hi), -ENODATA);
	static char page[4096] __attribute__((aligned(4096)));
	int rc = b->ops->map(b, 0x100000, page, sizeof(page), IOVA_PROT_RW);
	assert_true(rc < 0);
	assert_int_equal(rc, -ENOTTY);
	assert_true(b->ops->unmap(b, 0x100000, sizeof(page)) < 0);
	void *h;
	assert_int_equal(b->ops->dma(b, 0x100000, 1, IOVA_PROT_READ, &h), -ENOTSUP);
	assert_int_equal(b->phys_maps, 0);
	/* through a ctx: the strategy sees the backend error and leaks nothing */
	struct iova_ctx_params p;
	iova_ctx_default_params(&p);
	p.strategy = IOVA_STRAT_STRICT;
	struct iova_ctx *c = iova_ctx_create(&p, b);
	assert_non_null(c);
	uint64_t iova;
	assert_int_equal(iova_ctx_map(c, page, 64, IOVA_PROT_RW, 0, &iova), -ENOTTY);
	assert_int_equal(iova_ctx_dma(c, 0x1000, 1, IOVA_PROT_READ, &h), -ENOTSUP);
	iova_ctx_destroy(c); /* does not close a container it did not open */
	assert_true(fcntl(fd, F_GETFD) >= 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_group),
		cmocka_unit_test(test_bogus_group),
		cmocka_unit_test(test_not_a_group),
		cmocka_unit_test(test_given_container_fd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
