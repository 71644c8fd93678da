/* SPDX-License-Identifier: BSD-3-Clause */
/* Private helpers shared by the lib/irqpost sources (not installed, not public). */
#ifndef IRQPOST_PRIV_H
#define IRQPOST_PRIV_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Join root prefix and absolute path ("/sys/...") into buf. -ENAMETOOLONG if too long. */
int irqpost__path(char *buf, size_t len, const char *root, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Read a whole (small or large) file into a malloc'ed NUL-terminated buffer.
 * Returns bytes read or -errno. *out is NULL on error. */
long irqpost__read_file(const char *path, char **out);

/* Read at most len-1 bytes of a small file into buf (NUL-terminated). -errno on error. */
int irqpost__read_small(const char *path, char *buf, size_t len);

/* snprintf into err if non-NULL; returns ret unchanged (for "return seterr(-E, ...)"). */
int irqpost__err(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
