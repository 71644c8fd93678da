/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file telemetry.c
 * "/vfapp/stats": per-port counters through DPDK telemetry
 * (query with dpdk-telemetry.py -f <prefix>: --> /vfapp/stats).
 */
#include <errno.h>
#include <stdio.h>

#include <rte_telemetry.h>

#include "vfapp.h"

static const struct vfapp_appliance *tel_app;
static const struct vfapp_appliance *tel_workers;
static unsigned int tel_nb_workers;

static struct rte_tel_data *port_dict(const struct vfapp_port_stats *s)
{
	struct rte_tel_data *d = rte_tel_data_alloc();
	struct rte_tel_data *drops, *ev;
	unsigned int r;

	if (d == NULL)
		return NULL;
	drops = rte_tel_data_alloc();
	ev = rte_tel_data_alloc();
	if (drops == NULL || ev == NULL) {
		rte_tel_data_free(d);
		rte_tel_data_free(drops);
		rte_tel_data_free(ev);
		return NULL;
	}
	rte_tel_data_start_dict(d);
	for (r = 0; r < VFAPP_PORT_COUNTERS; r++)
		rte_tel_data_add_dict_u64(d, vfapp_port_counters[r].name, vfapp_port_counter(s, r));
	rte_tel_data_start_dict(drops);
	for (r = 1; r < DROP__COUNT; r++)
		rte_tel_data_add_dict_u64(drops, vfapp_drop_name(r), s->drops[r]);
	rte_tel_data_add_dict_container(d, "drops", drops, 0);
	rte_tel_data_start_dict(ev);
	for (r = 0; r < EV__COUNT; r++)
		rte_tel_data_add_dict_u64(ev, vfapp_event_name(r), s->ev[r]);
	rte_tel_data_add_dict_container(d, "router", ev, 0);
	return d;
}

static int stats_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	unsigned int p;
	char name[16];

	(void)cmd;
	(void)params;
	if (tel_app == NULL)
		return -ENODEV;
	rte_tel_data_start_dict(d);
	for (p = 0; p < VFAPP_NB_PORTS; p++) {
		struct vfapp_port_stats sum;
		struct rte_tel_data *pd;

		/* per-lcore counters (--fwd-lcores), summed here */
		vfapp_port_stats_sum(tel_app, tel_workers, tel_nb_workers, p, &sum);
		pd = port_dict(&sum);
		if (pd == NULL)
			return -ENOMEM;
		snprintf(name, sizeof(name), "port%u", p);
		rte_tel_data_add_dict_container(d, name, pd, 0);
	}
	rte_tel_data_add_dict_u64(d, "dma_mismatch", tel_app->dma_mismatch);
	return 0;
}

void vfapp_telemetry_workers(const struct vfapp_appliance *w, unsigned int n)
{
	tel_workers = w;
	tel_nb_workers = n;
}

int vfapp_telemetry_register(const struct vfapp_appliance *a)
{
	tel_app = a;
	return rte_telemetry_register_cmd(
		"/vfapp/stats", stats_cb,
		"vfapp per-port counters: rx, tx, bytes, drops by reason");
}
