/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/irqpost: file helpers honouring a root prefix (fixtures or "/"). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "irqpost_internal.h"

int irqpost__path(char *buf, size_t len, const char *root, const char *fmt, ...)
{
	size_t rl = 0;
	va_list ap;
	int n;

	if (root != NULL && root[0] != '\0' && strcmp(root, "/") != 0) {
		rl = strlen(root);
		while (rl > 1 && root[rl - 1] == '/')
			rl--;
		if (rl >= len)
			return -ENAMETOOLONG;
		memcpy(buf, root, rl);
	}
	va_start(ap, fmt);
	n = vsnprintf(buf + rl, len - rl, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - rl)
		return -ENAMETOOLONG;
	return 0;
}

long irqpost__read_file(const char *path, char **out)
{
	size_t cap = 4096, used = 0;
	char *buf, *nb;
	ssize_t r;
	int fd, e;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	if (buf == NULL) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		if (used + 1 >= cap) {
			if (cap >= (64u << 20)) { /* /proc/interrupts is never this big */
				free(buf);
				close(fd);
				return -EFBIG;
			}
			nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + used, cap - 1 - used);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			e = -errno;
			free(buf);
			close(fd);
			return e;
		}
		if (r == 0)
			break;
		used += (size_t)r;
	}
	close(fd);
	buf[used] = '\0';
	*out = buf;
	return (long)used;
}

int irqpost__read_small(const char *path, char *buf, size_t len)
{
	ssize_t r;
	int fd;

	if (len == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do
		r = read(fd, buf, len - 1);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	close(fd);
	buf[r] = '\0';
	return (int)r;
}

int irqpost__err(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}
