/* The cabinet file parser (hw/conf.c): any file either loads or is
 * refused with a message naming file and line; a loaded one is
 * consistent (every index in range), which the simulator and the slot
 * layer rely on without checking again. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/conf.h"
#include "tests/fuzz/fuzz.h"

static void check_loaded(const struct hw_cabinet_conf *c)
{
	for (int b = 0; b < c->nboards; b++) {
		const struct hw_board_conf *bc = &c->boards[b];

		if (bc->type == HW_BOARD_MODBUS_RTU && (bc->bus < 0 || bc->bus >= c->nbuses))
			abort();
		if (hw_conf_find_board(c, bc->name) != b)
			abort(); /* names are unique */
		if (!hw_board_type_name(bc->type) || !hw_profile_name(bc->profile))
			abort();
	}
	for (int s = 0; s < c->nslots; s++) {
		const struct hw_slot_conf *sc = &c->slots[s];

		if (sc->board < 0 || sc->board >= c->nboards)
			abort();
		if (hw_conf_find_slot(c, sc->name) != s)
			abort();
		if (memchr(sc->name, '\0', sizeof(sc->name)) == NULL ||
		    memchr(sc->label, '\0', sizeof(sc->label)) == NULL)
			abort();
	}
	if (c->pulse_ms > c->pulse_max_ms || c->pulse_max_ms > HW_PULSE_HARD_MAX_MS)
		abort(); /* fail-secure: no configuration exceeds the hard limit */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fz_file(data, size);
	struct hw_cabinet_conf *c;
	char err[512];

	if (!path)
		return 0;
	err[0] = '\0';
	c = hw_conf_load(path, err, sizeof(err));
	if (!c) {
		/* a refusal names the file */
		if (strncmp(err, path, strlen(path)) != 0)
			abort();
		return 0;
	}
	check_loaded(c);
	hw_conf_free(c);
	return 0;
}
