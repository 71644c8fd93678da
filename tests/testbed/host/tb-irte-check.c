/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tb-irte-check: decode the IRTEs the guest kernel programmed, as QEMU read them, with
 * lib/iova's decoder (vtd_irte_decode(), vtd_msi_decode()) and compare them field by field
 * with QEMU's own decode of the same entries (test bed scenario ir-kernel, issue #17 part 5).
 *
 *   tb-irte-check [--eime 0|1] [--pi 0|1] [--sid-ioapic 0xff00] [--sid-pci 0xBBDF] QEMU-TRACE-LOG
 *
 * The log holds QEMU 7.2's hw/i386 trace events (hw/i386/trace-events, intel_iommu.c
 * vtd_irte_get() / vtd_remap_irq_get() / vtd_interrupt_remap_msi()):
 *   vtd_ir_remap_msi_req addr 0x%lx data 0x%x        the MSI write (before remapping)
 *   vtd_ir_irte_get index %d low 0x%lx high 0x%lx   the 128-bit IRTE read from guest memory
 *   vtd_ir_remap index %d trigger %d vector %d deliver %d dest 0x%x mode %d   QEMU's decode
 * QEMU 7.2 passes (data[1], data[0]) to vtd_ir_irte_get's (lo, hi): the value printed as
 * "low" is IRTE bits 127:64 and "high" is bits 63:0. This tool swaps them back.
 * QEMU prints dest after its xAPIC adjustment (DST 15:8 when IRTA.EIME = 0), which is what
 * vtd_irte_info.dest holds.
 *
 * Compared with QEMU's decode: present (QEMU remaps only a present entry), trigger mode,
 * vector, delivery mode, destination ID, destination mode, and the interrupt index that
 * lib/iova decodes from the remappable-format MSI (handle + subhandle) against the index
 * QEMU looked up. Not traced by QEMU, so checked against the values the kernel's
 * intel_irq_remapping.c prepare_irte()/set_msi_sid()/set_ioapic_sid() write: FPD = 0,
 * IM = 0 (remapped format; QEMU's CAP.PI = 0), RH = 1, SVT = 1 (verify SID), SQ = 0, and
 * SID = the IO-APIC's (--sid-ioapic) or the bound device's requester ID (--sid-pci; without it,
 * any requester ID on a bus other than 0xff).
 * Exit 0 when every traced IRTE matches and there is at least one, 1 otherwise, 2 on usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iova_vtd.h"
#include "vtd_defs.h"

#define MAXD 256

struct seen {
	int index;
	uint64_t lo, hi;
	unsigned long n;
};

static struct seen distinct[MAXD];
static int ndistinct;

static void note_distinct(int index, uint64_t lo, uint64_t hi)
{
	for (int i = 0; i < ndistinct; i++)
		if (distinct[i].index == index && distinct[i].lo == lo && distinct[i].hi == hi) {
			distinct[i].n++;
			return;
		}
	if (ndistinct < MAXD)
		distinct[ndistinct++] = (struct seen){ index, lo, hi, 1 };
}

static const char *arg_after(const char *line, const char *key)
{
	const char *p = strstr(line, key);
	return p ? p + strlen(key) : NULL;
}

int main(int argc, char **argv)
{
	bool eime = false, pi = false;
	unsigned long sid_ioapic = 0xff00;
	long sid_pci = -1;
	const char *path = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--eime") && i + 1 < argc)
			eime = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--pi") && i + 1 < argc)
			pi = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--sid-ioapic") && i + 1 < argc)
			sid_ioapic = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--sid-pci") && i + 1 < argc)
			sid_pci = strtol(argv[++i], NULL, 0);
		else if (argv[i][0] != '-' && !path)
			path = argv[i];
		else {
			fprintf(stderr,
				"usage: tb-irte-check [--eime 0|1] [--pi 0|1] [--sid-ioapic SID] [--sid-pci SID] QEMU-TRACE-LOG\n");
			return 2;
		}
	}
	if (!path) {
		fprintf(stderr,
			"tb-irte-check: no trace log given (boot.sh --trace vtd_ir_irte_get --trace vtd_ir_remap writes WORKDIR/trace.log)\n");
		return 2;
	}
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr,
			"tb-irte-check: %s: %s (run the ir-kernel scenario with QEMU tracing first)\n",
			path, strerror(errno));
		return 2;
	}

	char line[512];
	bool have_irte = false, have_msi = false;
	int irte_index = -1;
	struct vtd_irte irte = { 0, 0 };
	uint64_t msi_addr = 0;
	uint32_t msi_data = 0;
	unsigned long compared = 0, mismatches = 0, msi_checked = 0, orphans = 0;
	unsigned long n_ioapic = 0, n_pci = 0;

	while (fgets(line, sizeof(line), f)) {
		const char *p;

		if ((p = arg_after(line, "vtd_ir_remap_msi_req "))) {
			unsigned long long a;
			unsigned int d;
			if (sscanf(p, "addr 0x%llx data 0x%x", &a, &d) == 2) {
				msi_addr = a;
				msi_data = d;
				have_msi = true;
			}
			continue;
		}
		if ((p = arg_after(line, "vtd_ir_irte_get "))) {
			unsigned long long lo_printed, hi_printed;
			if (sscanf(p, "index %d low 0x%llx high 0x%llx", &irte_index, &lo_printed,
				   &hi_printed) == 3) {
				/* QEMU 7.2 traces (data[1], data[0]): swap back */
				irte.lo = hi_printed;
				irte.hi = lo_printed;
				have_irte = true;
			}
			continue;
		}
		if (!(p = arg_after(line, "vtd_ir_remap ")))
			continue;
		int q_index, q_tm, q_vec, q_dlm, q_dm;
		unsigned int q_dest;
		if (sscanf(p, "index %d trigger %d vector %d deliver %d dest 0x%x mode %d",
			   &q_index, &q_tm, &q_vec, &q_dlm, &q_dest, &q_dm) != 6)
			continue;
		if (!have_irte || q_index != irte_index) {
			orphans++; /* a remap without its IRTE read: counted, not compared */
			continue;
		}
		have_irte = false;

		struct vtd_irte_info in;
		char why[256] = "";
		int rc = vtd_irte_decode(&irte, eime, pi, &in);
		size_t w = 0;
#define MISMATCH(...) (w += snprintf(why + w, w < sizeof(why) ? sizeof(why) - w : 0, __VA_ARGS__))
		if (rc)
			MISMATCH(" decode=%d", rc);
		if (!in.present)
			MISMATCH(" present=0 (QEMU remapped it)");
		if (in.tm != q_tm)
			MISMATCH(" tm=%d/qemu %d", in.tm, q_tm);
		if (in.vector != q_vec)
			MISMATCH(" vector=%u/qemu %d", in.vector, q_vec);
		if (in.dlm != q_dlm)
			MISMATCH(" dlm=%u/qemu %d", in.dlm, q_dlm);
		if (in.dest != q_dest)
			MISMATCH(" dest=0x%x/qemu 0x%x", in.dest, q_dest);
		if (in.dm != q_dm)
			MISMATCH(" dm=%d/qemu %d", in.dm, q_dm);
		/* not traced by QEMU: the values the kernel writes */
		if (in.fpd)
			MISMATCH(" fpd=1 (kernel writes 0)");
		if (in.posted)
			MISMATCH(" im=1 (CAP.PI=0: remapped format only)");
		if (!in.rh)
			MISMATCH(" rh=0 (kernel prepare_irte() writes 1)");
		if (in.svt != VTD_SVT_SID || in.sq != 0)
			MISMATCH(" svt=%u sq=%u (kernel: verify SID, all 16 bits)", in.svt, in.sq);
		bool ioapic = in.sid == sid_ioapic;
		if (!ioapic && (in.sid >> 8) == 0xff)
			MISMATCH(" sid=0x%04x (neither the IO-APIC nor a PCI requester)", in.sid);
		else if (!ioapic && sid_pci >= 0 && in.sid != sid_pci)
			MISMATCH(" sid=0x%04x (the bound device is 0x%04lx)", in.sid, sid_pci);
		if (have_msi) {
			struct vtd_msi_info m;
			if (vtd_msi_decode(msi_addr, msi_data, &m) || !m.remappable)
				MISMATCH(" msi(0x%" PRIx64 ",0x%x) not remappable", msi_addr,
					 msi_data);
			else if ((int)m.index != q_index)
				MISMATCH(" msi index=%u/qemu %d", m.index, q_index);
			else
				msi_checked++;
			have_msi = false;
		}
#undef MISMATCH
		compared++;
		ioapic ? n_ioapic++ : n_pci++;
		note_distinct(irte_index, irte.lo, irte.hi);
		if (why[0]) {
			mismatches++;
			if (mismatches <= 20)
				printf("MISMATCH index %d lo 0x%016" PRIx64 " hi 0x%016" PRIx64
				       ":%s\n",
				       irte_index, irte.lo, irte.hi, why);
		}
	}
	fclose(f);

	for (int i = 0; i < ndistinct; i++) {
		struct vtd_irte e = { distinct[i].lo, distinct[i].hi };
		struct vtd_irte_info in;
		vtd_irte_decode(&e, eime, pi, &in);
		printf("irte index %3d lo 0x%016" PRIx64 " hi 0x%016" PRIx64
		       " reads %5lu: P=%d FPD=%d IM=%d DM=%d RH=%d TM=%d DLM=%u V=%u DST=0x%x SVT=%u SQ=%u SID=0x%04x (%s)\n",
		       distinct[i].index, e.lo, e.hi, distinct[i].n, in.present, in.fpd, in.posted,
		       in.dm, in.rh, in.tm, in.dlm, in.vector, in.dest, in.svt, in.sq, in.sid,
		       in.sid == sid_ioapic ? "IO-APIC" : "PCI requester");
	}
	printf("TB-IRTE compared=%lu distinct=%d ioapic=%lu pci=%lu msi_index_checked=%lu mismatches=%lu unpaired=%lu eime=%d\n",
	       compared, ndistinct, n_ioapic, n_pci, msi_checked, mismatches, orphans, eime);
	if (compared == 0) {
		printf("TB-IRTE fail: no traced IRTE (was the trace enabled: --trace vtd_ir_irte_get --trace vtd_ir_remap?)\n");
		return 1;
	}
	if (mismatches) {
		printf("TB-IRTE fail: %lu of %lu traced IRTEs differ between lib/iova and QEMU\n",
		       mismatches, compared);
		return 1;
	}
	if (n_pci == 0) {
		printf("TB-IRTE fail: no IRTE of a PCI device (MSI/MSI-X) was traced\n");
		return 1;
	}
	printf("TB-IRTE ok: every traced IRTE decodes the same in lib/iova and QEMU\n");
	return 0;
}
