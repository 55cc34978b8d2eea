/* The simulated boards: their Modbus tables, how they answer a request
 * (libmodbus builds every standard reply; the Waveshare Relay (D)'s own
 * commands are handled here), their faults, and the coil history. */
#include "hw/sim/sim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "common/util.h"

/* Waveshare Relay (D) command addresses for function 05 */
#define WS_ALL_RELAYS 0x00FF
#define WS_FLASH_ON 0x0200
#define WS_FLASH_OFF 0x0400
#define WS_FLASH_MAX 0x7FFF /* 100 ms steps */

#define GENERIC_MIN 16

int64_t sim_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int sim_pdu_len(const uint8_t *pdu, int avail)
{
	if (avail < 1)
		return 0;
	switch (pdu[0]) {
	case MODBUS_FC_READ_COILS:
	case MODBUS_FC_READ_DISCRETE_INPUTS:
	case MODBUS_FC_READ_HOLDING_REGISTERS:
	case MODBUS_FC_READ_INPUT_REGISTERS:
	case MODBUS_FC_WRITE_SINGLE_COIL:
	case MODBUS_FC_WRITE_SINGLE_REGISTER:
		return 5;
	case MODBUS_FC_READ_EXCEPTION_STATUS:
	case MODBUS_FC_REPORT_SLAVE_ID:
		return 1;
	case MODBUS_FC_WRITE_MULTIPLE_COILS:
	case MODBUS_FC_WRITE_MULTIPLE_REGISTERS:
		return avail < 6 ? 0 : 6 + pdu[5];
	case MODBUS_FC_MASK_WRITE_REGISTER:
		return 7;
	case MODBUS_FC_WRITE_AND_READ_REGISTERS:
		return avail < 10 ? 0 : 10 + pdu[9];
	default:
		return -1;
	}
}

void sim_slot_record(struct sim *sim, int slot, bool on, int64_t now)
{
	struct sim_slot *s = &sim->slots[slot];
	int i;

	if (s->hist_len == SIM_HIST_MAX) {
		s->hist_start = (s->hist_start + 1) % SIM_HIST_MAX;
		s->hist_len--;
	}
	i = (s->hist_start + s->hist_len) % SIM_HIST_MAX;
	s->hist[i].us = now;
	s->hist[i].on = on;
	s->hist_len++;
}

/* A coil of the table changed (by whatever means): note it in the history
 * of the slot it drives. */
static void coil_changed(struct sim *sim, int b, int coil, int64_t now)
{
	struct sim_board *bd = &sim->boards[b];

	if (coil >= 0 && coil < bd->ncoils && bd->coil_slot[coil] >= 0)
		sim_slot_record(sim, bd->coil_slot[coil], bd->map->tab_bits[coil] != 0, now);
}

void sim_board_set_coil(struct sim *sim, int b, int coil, bool on, int64_t now)
{
	struct sim_board *bd = &sim->boards[b];

	if (coil < 0 || coil >= bd->ncoils || (bd->map->tab_bits[coil] != 0) == on)
		return;
	bd->map->tab_bits[coil] = on;
	coil_changed(sim, b, coil, now);
}

void sim_slot_update_inputs(struct sim *sim, int slot)
{
	struct sim_slot *s = &sim->slots[slot];
	const struct hw_slot_conf *sc = &sim->conf->slots[s->conf];
	modbus_mapping_t *m = sim->boards[s->board].map;

	m->tab_input_bits[sc->sense] = s->present;
	if (sc->tag >= 0) {
		uint32_t t = s->present ? s->tag : 0;

		m->tab_input_registers[sc->tag] = (uint16_t)(t >> 16);
		m->tab_input_registers[sc->tag + 1] = (uint16_t)(t & 0xFFFF);
	}
}

static void pulse_cancel(struct sim_board *bd, int from, int n)
{
	for (int ch = from; ch < from + n && ch < SIM_WS_CHANNELS; ch++)
		if (ch >= 0)
			bd->pulse_due_us[ch] = 0;
}

void sim_boards_timers(struct sim *sim, int64_t now)
{
	for (int b = 0; b < sim->nboards; b++) {
		struct sim_board *bd = &sim->boards[b];

		for (int ch = 0; ch < SIM_WS_CHANNELS; ch++) {
			if (!bd->pulse_due_us[ch] || bd->pulse_due_us[ch] > now)
				continue;
			bd->pulse_due_us[ch] = 0;
			sim_board_set_coil(sim, b, ch, bd->pulse_final[ch], now);
		}
	}
}

int64_t sim_boards_next_due(const struct sim *sim)
{
	int64_t due = 0;

	for (int b = 0; b < sim->nboards; b++)
		for (int ch = 0; ch < SIM_WS_CHANNELS; ch++) {
			int64_t d = sim->boards[b].pulse_due_us[ch];

			if (d && (!due || d < due))
				due = d;
		}
	return due;
}

/* libmodbus writes the reply it builds to reply_sock[0]; take it back. */
static int take_reply(struct sim *sim, int rc, uint8_t *out)
{
	ssize_t n = recv(sim->reply_sock[1], out, SIM_ADU_MAX, MSG_DONTWAIT);

	/* drained either way, so no stale reply is taken for the next one */
	return rc > 0 && n > 0 ? (int)n : 0;
}

/* The Waveshare Relay (D)'s function 05 commands beyond a plain coil write.
 * Returns 1 when handled (reply in out / *outlen), 0 when not ours. */
static int waveshare_write(struct sim *sim, int b, modbus_t *ctx, const uint8_t *adu, int len,
			   int hdr, uint8_t *out, int *outlen)
{
	struct sim_board *bd = &sim->boards[b];
	const uint8_t *pdu = adu + hdr;
	unsigned addr = (unsigned)(pdu[1] << 8 | pdu[2]);
	unsigned val = (unsigned)(pdu[3] << 8 | pdu[4]);
	int64_t now = sim_now_us();
	int rc;

	if (addr == WS_ALL_RELAYS) {
		if (val != 0xFF00 && val != 0x0000)
			goto bad_value;
		pulse_cancel(bd, 0, SIM_WS_CHANNELS);
		for (int ch = 0; ch < SIM_WS_CHANNELS; ch++)
			sim_board_set_coil(sim, b, ch, val == 0xFF00, now);
	} else if ((addr & 0xFF00) == WS_FLASH_ON || (addr & 0xFF00) == WS_FLASH_OFF) {
		int ch = (int)(addr & 0xFF);
		bool flash_on = (addr & 0xFF00) == WS_FLASH_ON;

		if (ch >= SIM_WS_CHANNELS) {
			rc = modbus_reply_exception(ctx, adu, MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS);
			*outlen = take_reply(sim, rc < 0 ? rc : 1, out);
			return 1;
		}
		if (val > WS_FLASH_MAX)
			goto bad_value;
		/* the board switches the relay now and back by itself later */
		sim_board_set_coil(sim, b, ch, flash_on, now);
		bd->pulse_final[ch] = !flash_on;
		bd->pulse_due_us[ch] = now + (int64_t)val * 100000;
		if (val == 0)
			sim_boards_timers(sim, now);
	} else {
		return 0;
	}
	/* the reply to function 05 echoes the request */
	if (len > SIM_ADU_MAX)
		len = SIM_ADU_MAX;
	memcpy(out, adu, (size_t)len);
	*outlen = len;
	return 1;

bad_value:
	rc = modbus_reply_exception(ctx, adu, MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE);
	*outlen = take_reply(sim, rc < 0 ? rc : 1, out);
	return 1;
}

int sim_board_request(struct sim *sim, int b, const uint8_t *adu, int len, bool rtu,
		      bool broadcast, uint8_t *out)
{
	struct sim_board *bd = &sim->boards[b];
	modbus_t *ctx = rtu ? sim->rtu_ctx : sim->tcp_ctx;
	int hdr = rtu ? 1 : 7;
	const uint8_t *pdu = adu + hdr;
	int pdulen = len - hdr - (rtu ? 2 : 0);
	uint8_t before[SIM_WS_CHANNELS > GENERIC_MIN ? SIM_WS_CHANNELS : GENERIC_MIN];
	uint8_t *saved = NULL;
	int outlen = 0, need, rc;
	int64_t now;

	bd->bytes_in += (uint64_t)len;
	switch (bd->fault) {
	case SIM_FAULT_TIMEOUT:
	case SIM_FAULT_DROP:
		return 0;
	case SIM_FAULT_EXCEPTION:
		if (broadcast)
			return 0;
		rc = modbus_reply_exception(ctx, adu, (unsigned)bd->fault_arg);
		return take_reply(sim, rc < 0 ? rc : 1, out);
	default:
		break;
	}
	modbus_set_slave(ctx, bd->conf->unit);

	/* A PDU whose length disagrees with its function (possible only over
	 * TCP, where MBAP gives the length) would make libmodbus read past it. */
	need = sim_pdu_len(pdu, pdulen);
	if (pdulen < 1 || (need >= 0 && need != pdulen)) {
		if (broadcast || pdulen < 1)
			return 0;
		rc = modbus_reply_exception(ctx, adu, MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE);
		outlen = take_reply(sim, rc < 0 ? rc : 1, out);
		goto done;
	}

	if (bd->conf->profile == HW_PROFILE_WAVESHARE_RELAY_D &&
	    pdu[0] == MODBUS_FC_WRITE_SINGLE_COIL &&
	    waveshare_write(sim, b, ctx, adu, len, hdr, out, &outlen))
		goto done;

	/* libmodbus changes the coil table itself: compare to find changes */
	if (bd->ncoils <= (int)sizeof(before)) {
		saved = before;
	} else {
		saved = malloc((size_t)bd->ncoils);
		if (!saved)
			return 0; /* no answer: the client sees a timeout */
	}
	memcpy(saved, bd->map->tab_bits, (size_t)bd->ncoils);
	rc = modbus_reply(ctx, adu, len, bd->map);
	outlen = take_reply(sim, rc < 0 ? rc : 1, out);
	now = sim_now_us();
	for (int i = 0; i < bd->ncoils; i++)
		if ((saved[i] != 0) != (bd->map->tab_bits[i] != 0))
			coil_changed(sim, b, i, now);
	if (saved != before)
		free(saved);
	/* an explicit write of a relay ends the pulse the board was timing */
	if (bd->conf->profile == HW_PROFILE_WAVESHARE_RELAY_D &&
	    (pdu[0] == MODBUS_FC_WRITE_SINGLE_COIL || pdu[0] == MODBUS_FC_WRITE_MULTIPLE_COILS) &&
	    (broadcast || (outlen > hdr && !(out[hdr] & 0x80)))) {
		int addr = pdu[1] << 8 | pdu[2];
		int n = pdu[0] == MODBUS_FC_WRITE_SINGLE_COIL ? 1 : (pdu[3] << 8 | pdu[4]);

		pulse_cancel(bd, addr, n);
	}

done:
	if (broadcast)
		return 0;
	if (rtu && bd->fault == SIM_FAULT_CRC && outlen >= 2)
		out[outlen - 1] ^= 0x5A;
	return outlen;
}

static int table_size(int used, int min)
{
	return used > min ? used : min;
}

int sim_boards_init(struct sim *sim, char *err, size_t errlen)
{
	const struct hw_cabinet_conf *c = sim->conf;

	sim->nboards = sim->nslots = 0;
	sim->board_of_conf = calloc((size_t)c->nboards + 1, sizeof(int));
	sim->slot_of_conf = calloc((size_t)c->nslots + 1, sizeof(int));
	sim->boards = calloc((size_t)c->nboards + 1, sizeof(*sim->boards));
	sim->slots = calloc((size_t)c->nslots + 1, sizeof(*sim->slots));
	if (!sim->board_of_conf || !sim->slot_of_conf || !sim->boards || !sim->slots)
		goto nomem;

	for (int i = 0; i < c->nboards; i++) {
		const struct hw_board_conf *bc = &c->boards[i];
		struct sim_board *bd;
		int ncoils = 0, ninputs = 0, nregs = 0;

		sim->board_of_conf[i] = -1;
		if (bc->type == HW_BOARD_GPIO)
			continue;
		bd = &sim->boards[sim->nboards];
		bd->conf = bc;
		bd->conf_index = i;
		if (bc->profile == HW_PROFILE_WAVESHARE_RELAY_D) {
			ncoils = ninputs = SIM_WS_CHANNELS;
		} else {
			for (int s = 0; s < c->nslots; s++) {
				const struct hw_slot_conf *sc = &c->slots[s];

				if (sc->board != i)
					continue;
				ncoils = table_size(sc->lock + 1, ncoils);
				ninputs = table_size(sc->sense + 1, ninputs);
				if (sc->tag >= 0)
					nregs = table_size(sc->tag + 2, nregs);
			}
			ncoils = table_size(ncoils, GENERIC_MIN);
			ninputs = table_size(ninputs, GENERIC_MIN);
			nregs = table_size(nregs, GENERIC_MIN);
		}
		bd->map = modbus_mapping_new(ncoils, ninputs,
					     bc->profile == HW_PROFILE_GENERIC ? GENERIC_MIN : 0, nregs);
		bd->coil_slot = malloc((size_t)ncoils * sizeof(int));
		if (!bd->map || !bd->coil_slot) {
			sim->nboards++; /* so that sim_boards_free frees it */
			goto nomem;
		}
		bd->ncoils = ncoils;
		for (int k = 0; k < ncoils; k++)
			bd->coil_slot[k] = -1;
		sim->board_of_conf[i] = sim->nboards++;
	}

	for (int i = 0; i < c->nslots; i++) {
		const struct hw_slot_conf *sc = &c->slots[i];
		int b = sim->board_of_conf[sc->board];
		struct sim_slot *s;

		sim->slot_of_conf[i] = -1;
		/* b < 0: a gpio board, which the simulator does not play;
		 * otherwise b is one of the boards set up above */
		if (b < 0 || b >= sim->nboards)
			continue;
		s = &sim->slots[sim->nslots];
		s->conf = i;
		s->board = b;
		s->hist = calloc(SIM_HIST_MAX, sizeof(*s->hist));
		if (!s->hist)
			goto nomem;
		sim->boards[b].coil_slot[sc->lock] = sim->nslots;
		sim->slot_of_conf[i] = sim->nslots++;
	}
	return 0;

nomem:
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

void sim_boards_free(struct sim *sim)
{
	for (int b = 0; b < sim->nboards; b++) {
		modbus_mapping_free(sim->boards[b].map);
		free(sim->boards[b].coil_slot);
	}
	for (int s = 0; s < sim->nslots; s++)
		free(sim->slots[s].hist);
	free(sim->boards);
	free(sim->slots);
	free(sim->board_of_conf);
	free(sim->slot_of_conf);
	sim->boards = NULL;
	sim->slots = NULL;
	sim->board_of_conf = sim->slot_of_conf = NULL;
	sim->nboards = sim->nslots = 0;
}
