/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: /proc/interrupts parser, deltas and the evidence verdict. */
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "irqpost_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct irqpost_interrupts a, b;
	struct irqpost_evidence_report rep;
	size_t half = size / 2;

	/* whole input as one snapshot; then the two halves as before/after */
	if (irqpost_interrupts_parse((const char *)data, size, &a) >= 0) {
		for (size_t i = 0; i < a.nrows; i++) {
			uint64_t s = 0;

			for (unsigned c = 0; c < a.rows[i].ncounts; c++)
				s += a.rows[i].counts[c];
			(void)s;
			if (strlen(a.rows[i].desc) >= sizeof(a.rows[i].desc) ||
			    a.rows[i].ncounts > a.ncpus)
				__builtin_trap();
		}
		irqpost_interrupts_free(&a);
	}
	if (irqpost_interrupts_parse((const char *)data, half, &a) >= 0) {
		if (irqpost_interrupts_parse((const char *)data + half, size - half, &b) >= 0) {
			irqpost_interrupts_delta(&a, &b, "vfio-msix", NULL);
			irqpost_evidence_judge(&a, &b, "0000:03:10.2", 1, &rep);
			if (rep.verdict == IRQPOST_EVIDENCE_REMAPPED && rep.host_vf_delta == 0)
				__builtin_trap();
			irqpost_interrupts_free(&b);
		}
		irqpost_interrupts_free(&a);
	}
	return 0;
}
