/* Modbus boards through libmodbus, whatever the transport (hw/modbus.h:
 * RTU in hw/modbus-rtu.c, TCP in hw/modbus-tcp.c), with two profiles:
 *   generic            locks on coils, presence on discrete inputs, a
 *                      slot's tag in two input registers (high word first)
 *   waveshare-relay-d  Waveshare Modbus RTU Relay (D): relays on coils
 *                      0-7, inputs 0-7 by function 02, pulses timed by the
 *                      board ("flash on": function 05 at 0x0200+channel,
 *                      value = pulse in 100 ms steps), all relays off by
 *                      function 05 at 0x00FF with value 0.
 * Requests go out one at a time from the bus's thread, with the board's
 * unit id set before each one. */
#include <errno.h>
#include <modbus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/board.h"
#include "hw/modbus.h"

#define WS_FLASH_BASE 0x0200
#define WS_ALL_RELAYS 0x00FF
#define WS_STEP_MS 100
#define WS_MAX_STEPS 0x7FFF

struct mb_bus {
	modbus_t *ctx;
	const struct hw_modbus_backend *be;
	bool dirty; /* a request failed: flush what may still come in */
};

/* One request: what the sending function needs and what it read. */
struct mb_req {
	int addr;
	int count;
	int value;
	uint8_t *bits;
	uint16_t *regs;
	const uint8_t *raw; /* a raw request (unit, function, data) */
	int raw_len;
	uint8_t *rsp;       /* its answer */
};

/* A run of addresses read or written in one request. */
struct mb_run {
	int addr;
	int count;
};

struct mb_board {
	struct mb_run *sense_runs; /* presence: usually one run per board */
	int nsense_runs;
	uint8_t *bits;             /* bits of the widest run */
	int max_run;
	struct mb_run *coil_runs;  /* generic all-off */
	int ncoil_runs;
};

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Groups the sorted addresses into runs no wider than max_span; with
 * contiguous == true only consecutive addresses share a run (a write must
 * not touch coils that are no lock of ours). */
static int make_runs(int *addr, int n, int max_span, bool contiguous, struct mb_run **out)
{
	struct mb_run *runs = calloc((size_t)(n > 0 ? n : 1), sizeof(*runs));
	int nr = 0;

	if (!runs)
		return -ENOMEM;
	qsort(addr, (size_t)n, sizeof(int), cmp_int);
	for (int i = 0; i < n; i++) {
		if (nr > 0) {
			struct mb_run *r = &runs[nr - 1];
			int end = r->addr + r->count; /* one past the last */

			if (addr[i] < end)
				continue; /* duplicate */
			if (contiguous ? addr[i] == end : addr[i] - r->addr < max_span) {
				r->count = addr[i] - r->addr + 1;
				continue;
			}
		}
		runs[nr].addr = addr[i];
		runs[nr].count = 1;
		nr++;
	}
	*out = runs;
	return nr;
}

static int mb_board_init(struct hw_board *b)
{
	struct mb_board *m = calloc(1, sizeof(*m));
	int *addr = calloc((size_t)b->nslots + 1, sizeof(int));
	int r = -ENOMEM;

	if (!m || !addr)
		goto err;
	for (int i = 0; i < b->nslots; i++)
		addr[i] = b->slots[i]->conf->sense;
	r = make_runs(addr, b->nslots, MODBUS_MAX_READ_BITS, false, &m->sense_runs);
	if (r < 0)
		goto err;
	m->nsense_runs = r;
	for (int i = 0; i < m->nsense_runs; i++)
		if (m->sense_runs[i].count > m->max_run)
			m->max_run = m->sense_runs[i].count;
	m->bits = calloc((size_t)m->max_run + 1, 1);
	if (!m->bits) {
		r = -ENOMEM;
		goto err;
	}
	for (int i = 0; i < b->nslots; i++)
		addr[i] = b->slots[i]->conf->lock;
	r = make_runs(addr, b->nslots, MODBUS_MAX_WRITE_BITS, true, &m->coil_runs);
	if (r < 0)
		goto err;
	m->ncoil_runs = r;
	free(addr);
	b->priv = m;
	return 0;

err:
	if (m) {
		free(m->sense_runs);
		free(m->bits);
		free(m);
	}
	free(addr);
	return r < 0 ? r : -ENOMEM;
}

static void mb_board_free(struct hw_board *b)
{
	struct mb_board *m = b->priv;

	if (!m)
		return;
	free(m->sense_runs);
	free(m->bits);
	free(m->coil_runs);
	free(m);
	b->priv = NULL;
}

void hw_modbus_close(struct hw_bus *bus)
{
	struct mb_bus *mb = bus->priv;

	for (int i = 0; i < bus->nboards; i++)
		mb_board_free(bus->boards[i]);
	if (!mb)
		return;
	if (mb->ctx) {
		modbus_close(mb->ctx);
		modbus_free(mb->ctx);
	}
	free(mb);
	bus->priv = NULL;
	bus->connected = false;
}

int hw_modbus_open(struct hw_bus *bus, char *err, size_t errlen)
{
	const struct hw_modbus_backend *be = bus->ops->data;
	struct mb_bus *mb = calloc(1, sizeof(*mb));
	unsigned ms = (unsigned)bus->conf->timeout_ms;
	int r;

	if (!mb) {
		snprintf(err, errlen, "%s: out of memory", bus->name);
		return -ENOMEM;
	}
	bus->priv = mb;
	mb->be = be;
	mb->ctx = be->new_ctx(bus);
	if (!mb->ctx) {
		r = -errno;
		snprintf(err, errlen, "%s: cannot set up libmodbus: %s", bus->name,
			 modbus_strerror(errno));
		goto err;
	}
	/* Nothing of libmodbus's own recovery: it would sleep and reconnect
	 * inside a request; the bus thread decides (flush, reconnect, backoff). */
	modbus_set_error_recovery(mb->ctx, MODBUS_ERROR_RECOVERY_NONE);
	modbus_set_response_timeout(mb->ctx, ms / 1000, (ms % 1000) * 1000);
	modbus_set_byte_timeout(mb->ctx, ms / 1000, (ms % 1000) * 1000);
	for (int i = 0; i < bus->nboards; i++) {
		r = mb_board_init(bus->boards[i]);
		if (r < 0) {
			snprintf(err, errlen, "%s: out of memory", bus->name);
			goto err;
		}
	}
	return 0;

err:
	hw_modbus_close(bus);
	return r;
}

int hw_modbus_connect(struct hw_bus *bus)
{
	struct mb_bus *mb = bus->priv;
	int r;

	if (modbus_connect(mb->ctx) < 0)
		return -errno;
	r = mb->be->claim ? mb->be->claim(mb->ctx) : 0;
	if (r < 0) {
		modbus_close(mb->ctx);
		return r;
	}
	bus->connected = true;
	mb->dirty = false;
	return 0;
}

void hw_modbus_disconnect(struct hw_bus *bus)
{
	struct mb_bus *mb = bus->priv;

	modbus_close(mb->ctx);
	bus->connected = false;
}

const char *hw_modbus_strerror(int e)
{
	return modbus_strerror(e);
}

static bool is_exception(int e)
{
	return e >= EMBXILFUN && e <= EMBXGTAR;
}

/* Before each request: the board's unit, and no stale bytes. */
static modbus_t *mb_begin(struct hw_board *b)
{
	struct mb_bus *mb = b->bus->priv;

	if (mb->dirty) {
		modbus_flush(mb->ctx);
		mb->dirty = false;
	}
	modbus_set_slave(mb->ctx, b->conf->unit);
	hw_bus_count_request(b->bus);
	return mb->ctx;
}

/* Turns a failed request into -errno and decides what the link needs. */
static int mb_fail(struct hw_board *b, int e)
{
	struct mb_bus *mb = b->bus->priv;

	mb->dirty = true;
	if (e == 0)
		e = EIO;
	if (is_exception(e))
		return -e; /* the board answered: the link is fine */
	if (mb->be->drop_link(e))
		hw_modbus_disconnect(b->bus);
	return -e;
}

/* One request to board b: send(ctx, rq) with the board's unit set, sent
 * once more when the bus kind says so. Returns what send returned (>= 0),
 * or the failure as a negative errno with the link seen to. */
static int mb_request(struct hw_board *b, int (*send)(modbus_t *ctx, struct mb_req *rq),
		      struct mb_req *rq)
{
	struct mb_bus *mb = b->bus->priv;
	int rc;

	for (int attempt = 0;; attempt++) {
		modbus_t *ctx = mb_begin(b);

		rc = send(ctx, rq);
		if (rc >= 0 || !mb->be->retry(ctx, errno, attempt))
			break;
	}
	return rc < 0 ? mb_fail(b, errno) : rc;
}

static int send_write_bit(modbus_t *ctx, struct mb_req *rq)
{
	return modbus_write_bit(ctx, rq->addr, rq->value);
}

static int send_write_bits(modbus_t *ctx, struct mb_req *rq)
{
	return modbus_write_bits(ctx, rq->addr, rq->count, rq->bits);
}

static int send_read_input_bits(modbus_t *ctx, struct mb_req *rq)
{
	return modbus_read_input_bits(ctx, rq->addr, rq->count, rq->bits);
}

static int send_read_input_registers(modbus_t *ctx, struct mb_req *rq)
{
	return modbus_read_input_registers(ctx, rq->addr, rq->count, rq->regs);
}

/* A raw request and its answer: what the answer's length, and the header
 * before the function code, are checked against is the caller's. */
static int send_raw(modbus_t *ctx, struct mb_req *rq)
{
	int rc = modbus_send_raw_request(ctx, rq->raw, rq->raw_len);

	if (rc < 0)
		return rc;
	rc = modbus_receive_confirmation(ctx, rq->rsp);
	/* 0: libmodbus dropped a frame of another unit (RTU) */
	if (rc == 0) {
		errno = EMBBADSLAVE;
		rc = -1;
	}
	return rc;
}

static int mb_write_bit(struct hw_board *b, int addr, int value)
{
	struct mb_req rq = { .addr = addr, .value = value };
	int rc = mb_request(b, send_write_bit, &rq);

	return rc < 0 ? rc : 0;
}

static int generic_all_off(struct hw_board *b)
{
	struct mb_board *m = b->priv;
	uint8_t zeros[MODBUS_MAX_WRITE_BITS] = { 0 };

	for (int i = 0; i < m->ncoil_runs; i++) {
		const struct mb_run *run = &m->coil_runs[i];
		struct mb_req rq = { .addr = run->addr, .count = run->count, .bits = zeros };
		int rc;

		if (run->count == 1)
			rc = mb_write_bit(b, run->addr, FALSE);
		else
			rc = mb_request(b, send_write_bits, &rq);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int generic_lock_set(struct hw_board *b, int i, bool on)
{
	return mb_write_bit(b, b->slots[i]->conf->lock, on ? TRUE : FALSE);
}

static int read_presence(struct hw_board *b, bool *present)
{
	struct mb_board *m = b->priv;

	for (int r = 0; r < m->nsense_runs; r++) {
		const struct mb_run *run = &m->sense_runs[r];
		struct mb_req rq = { .addr = run->addr, .count = run->count, .bits = m->bits };
		int rc = mb_request(b, send_read_input_bits, &rq);

		if (rc < 0)
			return rc;
		if (rc != run->count)
			return mb_fail(b, EMBBADDATA);
		for (int i = 0; i < b->nslots; i++) {
			int a = b->slots[i]->conf->sense;

			if (a >= run->addr && a < run->addr + run->count)
				present[i] = m->bits[a - run->addr] != 0;
		}
	}
	return 0;
}

static int generic_read_tag(struct hw_board *b, int i, uint32_t *tag)
{
	uint16_t regs[2];
	struct mb_req rq = { .addr = b->slots[i]->conf->tag, .count = 2, .regs = regs };
	int rc = mb_request(b, send_read_input_registers, &rq);

	if (rc < 0)
		return rc;
	if (rc != 2)
		return mb_fail(b, EMBBADDATA);
	*tag = (uint32_t)regs[0] << 16 | regs[1];
	return 0;
}

static int ws_all_off(struct hw_board *b)
{
	return mb_write_bit(b, WS_ALL_RELAYS, FALSE);
}

static int ws_lock_set(struct hw_board *b, int i, bool on)
{
	return mb_write_bit(b, b->slots[i]->conf->lock, on ? TRUE : FALSE);
}

/* The flash-on command. Its value is neither 0xFF00 nor 0, which
 * modbus_write_bit() cannot send: it goes out as a raw request and the
 * echo is checked here. */
static int ws_pulse(struct hw_board *b, int i, unsigned ms, unsigned *actual_ms)
{
	unsigned steps = ms / WS_STEP_MS;
	int addr = WS_FLASH_BASE + b->slots[i]->conf->lock;
	uint8_t req[6], rsp[MODBUS_MAX_ADU_LENGTH];
	struct mb_req rq = { .raw = req, .raw_len = (int)sizeof(req), .rsp = rsp };
	struct mb_bus *mb = b->bus->priv;
	int hl = modbus_get_header_length(mb->ctx);
	int rc;

	/* Rounded down, so the pulse never exceeds what was asked for. */
	if (steps < 1)
		steps = 1;
	if (steps > WS_MAX_STEPS)
		steps = WS_MAX_STEPS;
	req[0] = (uint8_t)b->conf->unit;
	req[1] = MODBUS_FC_WRITE_SINGLE_COIL;
	req[2] = (uint8_t)(addr >> 8);
	req[3] = (uint8_t)addr;
	req[4] = (uint8_t)(steps >> 8);
	req[5] = (uint8_t)steps;
	rc = mb_request(b, send_raw, &rq);
	if (rc < 0)
		return rc;
	if (rc < hl + 2)
		return mb_fail(b, EMBBADDATA);
	if (rsp[hl] == (MODBUS_FC_WRITE_SINGLE_COIL | 0x80))
		return mb_fail(b, MODBUS_ENOBASE + rsp[hl + 1]);
	if (rc < hl + 5 || memcmp(rsp + hl, req + 1, 5) != 0)
		return mb_fail(b, EMBBADDATA);
	*actual_ms = steps * WS_STEP_MS;
	return 0;
}

const struct hw_board_ops hw_modbus_generic_ops = {
	.all_off = generic_all_off,
	.lock_set = generic_lock_set,
	.read_presence = read_presence,
	.read_tag = generic_read_tag,
};

const struct hw_board_ops hw_modbus_waveshare_ops = {
	.all_off = ws_all_off,
	.lock_set = ws_lock_set,
	.pulse = ws_pulse,
	.read_presence = read_presence,
};
