/* Benchmarks of the slot layer against keycab-sim, each with a baseline
 * measured in the same run (these machines are shared and noisy):
 *
 * 1. Wire cost of a steady-state scan: a cabinet of 4 generic Modbus RTU
 *    boards of 16 slots with tag readers, on one RS485 line (a pty).
 *    Requests and bytes per scan against the minimum (one presence read
 *    per board), and the scan time that implies at 9600 and 115200 baud
 *    (8N1: 10 bits a character, 3.5 characters of silence per frame).
 * 2. CPU of the scan loop at 20 scans/s over those 64 slots (getrusage of
 *    the whole process, every thread), against the same requests sent by
 *    a bare libmodbus loop at the same rate.
 * 3. Open latency over Modbus TCP on loopback: hw_cabinet_open() to the
 *    relay on at the simulator (its CLOCK_MONOTONIC history), 1,000 opens
 *    on Waveshare boards (board-timed pulses: one request per open),
 *    against raw libmodbus flash requests to the same boards. */
#include <errno.h>
#include <math.h>
#include <modbus.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "hw/hw.h"
#include "tests/simctl.h"

#define NBOARDS 4
#define SLOTS_PER_BOARD 16
#define WS_UNITS 4
#define WS_SLOTS (WS_UNITS * 8)
#define OPENS 1000
#define CPU_SECONDS 10

static char dir[] = "/tmp/hw-bench.XXXXXX";
static char ctl_path[128], conf_path[128];
static pid_t sim_pid = -1;

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static long stat_of(const char *reply, const char *key)
{
	const char *p = strstr(reply, key);

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* Drains events until every slot's presence is known, or 10 s. */
static bool settle(struct hw_cabinet *cab)
{
	int64_t end = kc_mono_ms() + 10000;

	while (kc_mono_ms() < end) {
		struct hw_event ev[64];
		bool known = true;

		poll(NULL, 0, 20);
		hw_cabinet_read_events(cab, ev, 64);
		for (int s = 0; s < hw_cabinet_slot_count(cab); s++) {
			struct hw_slot_state st;

			hw_slot_state(cab, s, &st);
			known &= st.presence == HW_PRESENCE_PRESENT || st.presence == HW_PRESENCE_ABSENT;
		}
		if (known)
			return true;
	}
	return false;
}

/* Frame time on the wire in ms: 10 bits a character (8N1) and 3.5
 * characters of silence before the next frame. */
static double frame_ms(int bytes, int baud)
{
	return (bytes + 3.5) * 10.0 * 1000.0 / baud;
}

static int bench_scan(void)
{
	char err[512], r[256];
	struct hw_cabinet *cab;
	struct hw_cabinet_stats s0, s1;
	long req = 0, bytes = 0;
	double scans, cpu0, cpu1, wall, ours_cpu, base_cpu;
	int64_t t0, t1;
	FILE *f = fopen(conf_path, "w");

	if (!f)
		return -errno;
	fprintf(f, "[cabinet]\nid = bench\nscan_ms = 50\ndebounce = 2\ntimeout_ms = 200\n"
		   "[bus rs]\ndevice = %s/tty\nbaud = 115200\n", dir);
	for (int b = 0; b < NBOARDS; b++)
		fprintf(f, "[board b%d]\ntype = modbus-rtu\nbus = rs\nunit = %d\n", b, b + 1);
	for (int b = 0; b < NBOARDS; b++)
		for (int s = 0; s < SLOTS_PER_BOARD; s++)
			fprintf(f, "[slot S%d_%02d]\nboard = b%d\nlock = %d\nsense = %d\ntag = %d\n",
				b, s, b, s, s, 2 * s);
	fclose(f);
	if (simctl_start(conf_path, ctl_path, &sim_pid) < 0) {
		fprintf(stderr, "keycab-sim did not start\n");
		return -1;
	}
	/* half the slots hold a key with a tag: tags must not be re-read */
	for (int b = 0; b < NBOARDS; b++)
		for (int s = 0; s < SLOTS_PER_BOARD; s += 2)
			simctl_cmd(ctl_path, NULL, 0, "insert S%d_%02d %d", b, s, 1000 + 16 * b + s);
	cab = hw_cabinet_new(conf_path, err, sizeof(err));
	if (!cab || hw_cabinet_start(cab, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		hw_cabinet_free(cab);
		return -1;
	}
	if (!settle(cab))
		fprintf(stderr, "warning: not every slot settled\n");
	poll(NULL, 0, 300);

	/* steady state, measured both by our counters and at the simulator */
	simctl_cmd(ctl_path, NULL, 0, "reset-stats");
	hw_cabinet_stats(cab, &s0);
	cpu0 = cpu_seconds();
	t0 = mono_us();
	poll(NULL, 0, CPU_SECONDS * 1000);
	hw_cabinet_stats(cab, &s1);
	cpu1 = cpu_seconds();
	t1 = mono_us();
	for (int b = 0; b < NBOARDS; b++) {
		simctl_cmd(ctl_path, r, sizeof(r), "stats b%d", b);
		req += stat_of(r, "requests=");
		bytes += stat_of(r, "bytes_in=") + stat_of(r, "bytes_out=");
	}
	hw_cabinet_free(cab);
	scans = (double)(s1.scans - s0.scans);
	wall = (t1 - t0) / 1e6;
	ours_cpu = (cpu1 - cpu0) / wall * 100.0;
	{
		/* minimum: one read of 16 discrete inputs per board: request
		 * 8 bytes (unit, fc 02, address, count, CRC), reply 7 (unit, fc,
		 * byte count, 2 data bytes, CRC) */
		const int req_bytes = 8, rsp_bytes = 7;
		double our_req = (double)(s1.requests - s0.requests) / scans;
		double sim_bytes_per_req = req ? (double)bytes / (double)req : 0;
		double min_bytes = NBOARDS * (req_bytes + rsp_bytes);

		printf("scan, 4 RTU boards x 16 slots with tags, steady state (%.0f scans in %.1f s):\n",
		       scans, wall);
		printf("  requests per scan   %.3f   (minimum %d: one presence read per board; ratio %.3f)\n",
		       our_req, NBOARDS, our_req / NBOARDS);
		printf("  bytes per scan      %.1f  (minimum %.0f; ratio %.3f; simulator counted %ld requests, %.1f bytes each)\n",
		       our_req * sim_bytes_per_req, min_bytes,
		       our_req * sim_bytes_per_req / min_bytes, req, sim_bytes_per_req);
		for (int baud = 9600; baud; baud = baud == 9600 ? 115200 : 0) {
			double ms = NBOARDS * (frame_ms(req_bytes, baud) + frame_ms(rsp_bytes, baud));

			printf("  wire time per scan at %6d baud: %.2f ms (%s scan_ms = 50; the fastest scan is every %.0f ms)\n",
			       baud, ms, ms <= 50 ? "fits in" : "does NOT fit in", ceil(ms));
		}
	}

	/* baseline: the same requests at the same rate, from a bare loop */
	{
		modbus_t *ctx;
		char dev[256];
		uint8_t bits[SLOTS_PER_BOARD];
		int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
		struct itimerspec its = { .it_interval = { 0, 50 * 1000000 },
					  .it_value = { 0, 50 * 1000000 } };
		long rounds = 0, errors = 0;

		snprintf(dev, sizeof(dev), "%s/tty", dir);
		ctx = modbus_new_rtu(dev, 115200, 'N', 8, 1);
		if (!ctx || modbus_connect(ctx) < 0 || tfd < 0) {
			fprintf(stderr, "baseline: %s\n", modbus_strerror(errno));
			return -1;
		}
		modbus_set_response_timeout(ctx, 0, 200000);
		timerfd_settime(tfd, 0, &its, NULL);
		cpu0 = cpu_seconds();
		t0 = mono_us();
		while (rounds < (long)scans) {
			uint64_t ticks;

			if (read(tfd, &ticks, sizeof(ticks)) < 0)
				break;
			for (int b = 0; b < NBOARDS; b++) {
				modbus_set_slave(ctx, b + 1);
				errors += modbus_read_input_bits(ctx, 0, SLOTS_PER_BOARD, bits) < 0;
			}
			rounds++;
		}
		cpu1 = cpu_seconds();
		t1 = mono_us();
		modbus_close(ctx);
		modbus_free(ctx);
		close(tfd);
		base_cpu = (cpu1 - cpu0) / ((t1 - t0) / 1e6) * 100.0;
		printf("CPU of the scan loop, 64 slots at 20 scans/s: %.3f %% of one core "
		       "(target < 1 %%)\n", ours_cpu);
		printf("  baseline, bare libmodbus loop sending the same reads at the same rate: "
		       "%.3f %% (%ld errors); ratio %.2f\n",
		       base_cpu, errors, base_cpu > 0 ? ours_cpu / base_cpu : 0.0);
	}
	simctl_stop(&sim_pid);
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* ON times of a slot's relay, from the simulator's history. */
static int history_on(const char *slot, int64_t *on, int max)
{
	static char r[1 << 17];
	int n = 0;

	if (simctl_cmd(ctl_path, r, sizeof(r), "history %s", slot) < 0)
		return -1;
	for (char *p = strstr(r, "ON@"); p && n < max; p = strstr(p + 1, "ON@"))
		if (p == r || p[-1] == ' ')
			on[n++] = strtoll(p + 3, NULL, 10);
	return n;
}

/* Matches send times with the ON times the simulator recorded, slot by
 * slot in order; fills lat (us) and returns how many matched. */
static int latencies(const int64_t *sent, int64_t *lat, char names[][16])
{
	static int64_t on[WS_SLOTS][OPENS];
	int non[WS_SLOTS], next[WS_SLOTS] = { 0 }, n = 0;

	for (int s = 0; s < WS_SLOTS; s++)
		non[s] = history_on(names[s], on[s], OPENS);
	for (int i = 0; i < OPENS; i++) {
		int s = i % WS_SLOTS;

		if (next[s] < non[s])
			lat[n++] = on[s][next[s]++] - sent[i];
	}
	qsort(lat, (size_t)n, sizeof(*lat), cmp_i64);
	return n;
}

static int bench_open(void)
{
	static int64_t sent[OPENS], lat[OPENS], rtt[OPENS];
	char names[WS_SLOTS][16], err[512];
	struct hw_cabinet *cab;
	struct hw_cabinet_stats s0, s1;
	int port = simctl_free_port(), n, nb;
	double ours50, ours99, base50, base99;
	FILE *f = fopen(conf_path, "w");

	if (!f)
		return -errno;
	fprintf(f, "[cabinet]\nid = bench-open\nscan_ms = 50\ndebounce = 2\ntimeout_ms = 200\n");
	for (int u = 0; u < WS_UNITS; u++)
		fprintf(f, "[board w%d]\ntype = modbus-tcp\nhost = 127.0.0.1\nport = %d\nunit = %d\n"
			   "profile = waveshare-relay-d\n", u, port, u + 1);
	for (int s = 0; s < WS_SLOTS; s++) {
		snprintf(names[s], sizeof(names[s]), "W%d_%d", s / 8, s % 8);
		fprintf(f, "[slot %s]\nboard = w%d\nlock = %d\nsense = %d\n", names[s], s / 8, s % 8,
			s % 8);
	}
	fclose(f);
	if (simctl_start(conf_path, ctl_path, &sim_pid) < 0)
		return -1;
	cab = hw_cabinet_new(conf_path, err, sizeof(err));
	if (!cab || hw_cabinet_start(cab, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		hw_cabinet_free(cab);
		return -1;
	}
	settle(cab);
	simctl_cmd(ctl_path, NULL, 0, "clear-history");
	hw_cabinet_stats(cab, &s0);
	for (int i = 0; i < OPENS; i++) {
		int slot = hw_slot_find(cab, names[i % WS_SLOTS]), r;
		struct hw_event ev[64];

		/* 100 ms pulses, 32 slots: one open every 5 ms finds its slot free */
		poll(NULL, 0, 5);
		hw_cabinet_read_events(cab, ev, 64);
		sent[i] = mono_us();
		r = hw_cabinet_open(cab, slot, 100);
		while (r == -EBUSY) {
			poll(NULL, 0, 1);
			hw_cabinet_read_events(cab, ev, 64);
			sent[i] = mono_us();
			r = hw_cabinet_open(cab, slot, 100);
		}
		if (r < 0) {
			fprintf(stderr, "open %s: %s\n", names[i % WS_SLOTS], strerror(-r));
			return -1;
		}
	}
	poll(NULL, 0, 300);
	hw_cabinet_stats(cab, &s1);
	hw_cabinet_free(cab);
	n = latencies(sent, lat, names);
	ours50 = lat[n / 2] / 1000.0;
	ours99 = lat[(n * 99) / 100] / 1000.0;

	/* baseline: the same flash request sent raw by libmodbus */
	{
		modbus_t *ctx = modbus_new_tcp("127.0.0.1", port);
		uint8_t rsp[MODBUS_MAX_ADU_LENGTH];

		if (!ctx || modbus_connect(ctx) < 0)
			return -1;
		modbus_set_response_timeout(ctx, 0, 200000);
		simctl_cmd(ctl_path, NULL, 0, "clear-history");
		for (int i = 0; i < OPENS; i++) {
			int s = i % WS_SLOTS, addr = 0x0200 + s % 8;
			uint8_t req[6] = { (uint8_t)(1 + s / 8), 0x05, (uint8_t)(addr >> 8),
					   (uint8_t)addr, 0, 1 };
			int64_t t;

			poll(NULL, 0, 5);
			sent[i] = t = mono_us();
			if (modbus_send_raw_request(ctx, req, 6) < 0 ||
			    modbus_receive_confirmation(ctx, rsp) < 0)
				fprintf(stderr, "raw request: %s\n", modbus_strerror(errno));
			rtt[i] = mono_us() - t;
		}
		modbus_close(ctx);
		modbus_free(ctx);
		nb = latencies(sent, lat, names);
		base50 = lat[nb / 2] / 1000.0;
		base99 = lat[(nb * 99) / 100] / 1000.0;
		qsort(rtt, OPENS, sizeof(*rtt), cmp_i64);
	}
	simctl_stop(&sim_pid);
	{
		double scan_req = (double)(s1.scans - s0.scans) * WS_UNITS;
		double per_open = ((double)(s1.requests - s0.requests) - scan_req) / OPENS;

		printf("open latency over Modbus TCP (loopback), hw_cabinet_open() to relay on at the "
		       "simulator, %d opens (%d matched):\n", OPENS, n);
		printf("  ours      p50 %.3f ms  p99 %.3f ms   (target p99 < 2 ms)\n", ours50, ours99);
		printf("  baseline  p50 %.3f ms  p99 %.3f ms   raw libmodbus flash request, same boards (%d matched);"
		       " its round trip p50 %.3f ms p99 %.3f ms\n",
		       base50, base99, nb, rtt[OPENS / 2] / 1000.0, rtt[OPENS * 99 / 100] / 1000.0);
		printf("  ratio     p50 %.2f  p99 %.2f\n", ours50 / base50, ours99 / base99);
		printf("  Modbus requests per open: %.3f (target 1: the board times the pulse)\n",
		       per_open);
	}
	return 0;
}

int main(void)
{
	int r;

	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir))
		return 1;
	snprintf(ctl_path, sizeof(ctl_path), "%s/sim.ctl", dir);
	snprintf(conf_path, sizeof(conf_path), "%s/cab.conf", dir);
	r = bench_scan();
	simctl_stop(&sim_pid);
	if (r == 0)
		r = bench_open();
	simctl_stop(&sim_pid);
	unlink(conf_path);
	unlink(ctl_path);
	rmdir(dir);
	return r == 0 ? 0 : 1;
}
