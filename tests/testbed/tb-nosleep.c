/* tb-nosleep: a shared object (mkinitramfs.sh builds tb-*.c that define TB_SHARED_OBJECT with
 * -shared -fPIC) preloaded into the sockperf client by the trap & emulate scenarios:
 *
 *   LD_PRELOAD=/tb/bin/tb-nosleep sockperf ping-pong -t 1 ...
 *
 * sockperf 3.7's client sleeps a fixed 2 s after its warm-up stage (client.cpp: sleep(2)
 * after IoHandler::warmup(), which sends warm-up messages only on multicast sockets) before
 * it starts the timed test. For the unicast ping-pong of the test bed that is idle time, 2 s per
 * run under TCG, 24 s of a --quick run. sleep() returns at once here; the test's duration
 * (-t, setitimer) and its statistics are untouched. */
#define TB_SHARED_OBJECT 1

unsigned int sleep(unsigned int seconds)
{
	(void)seconds;
	return 0;
}
