/* Cabinet file loading: the INI loader (common/ini.h) reads it, a table
 * holds every key, each key's line is kept, and the checks after the last
 * line catch what spans sections (unknown boards, a coil wired twice, a
 * missing key) naming the line of the key that is wrong. */
#include "hw/conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ini.h"
#include "common/util.h"

#define MAX_ENTRIES 4096

enum section_kind { SEC_NONE, SEC_CABINET, SEC_BUS, SEC_BOARD, SEC_SLOT, SEC_KINDS };

static const char *const section_kinds[SEC_KINDS] = {
	[SEC_CABINET] = "cabinet", [SEC_BUS] = "bus", [SEC_BOARD] = "board", [SEC_SLOT] = "slot"
};

struct loader {
	struct hw_cabinet_conf *conf;
	enum section_kind kind;
	int index; /* entry of the current section */
	int section_line;
	bool cabinet_seen;
	int cabinet_line;
	/* per-entry references resolved after parsing */
	char (*slot_board)[HW_NAME_MAX];
	char (*board_bus)[HW_NAME_MAX];
	/* NKEYS per entry of each kind: the line of each key, 0 if absent */
	int *lines[SEC_KINDS];
};

static bool valid_name(const char *s)
{
	if (!*s || strlen(s) >= HW_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

static int set_id(struct kc_ini *ini, const struct kc_ini_key *k, void *base, const char *v)
{
	struct hw_cabinet_conf *c = base;

	if (!valid_name(v)) {
		kc_ini_fail(ini, k->name, "must be 1 to %d letters, digits, '-', '_' or '.'",
			    HW_NAME_MAX - 1);
		return -EINVAL;
	}
	kc_strlcpy(c->id, v, sizeof(c->id));
	return 0;
}

static int set_device(struct kc_ini *ini, const struct kc_ini_key *k, void *base, const char *v)
{
	struct hw_bus_conf *b = base;

	if (v[0] != '/') {
		kc_ini_fail(ini, k->name, "must be an absolute path like /dev/ttyUSB0");
		return -EINVAL;
	}
	if (strlen(v) >= sizeof(b->device)) {
		kc_ini_fail(ini, k->name, "longer than %zu characters", sizeof(b->device) - 1);
		return -EINVAL;
	}
	kc_strlcpy(b->device, v, sizeof(b->device));
	return 0;
}

static int set_baud(struct kc_ini *ini, const struct kc_ini_key *k, void *base, const char *v)
{
	static const int rates[] = { HW_BAUD_MIN, 2400, 4800, 9600, 19200, 38400, 57600, HW_BAUD_MAX };
	struct hw_bus_conf *b = base;
	long long n;
	int r = kc_parse_long(v, HW_BAUD_MIN, HW_BAUD_MAX, &n);

	if (r == -ERANGE) {
		kc_ini_fail(ini, k->name, "%s is out of range (%d to %d)", v, HW_BAUD_MIN, HW_BAUD_MAX);
		return -EINVAL;
	}
	if (r < 0) {
		kc_ini_fail(ini, k->name, "\"%s\" is not a whole number", v);
		return -EINVAL;
	}
	for (size_t i = 0; i < KC_ARRAY_SIZE(rates); i++)
		if (rates[i] == n) {
			b->baud = (int)n;
			return 0;
		}
	kc_ini_fail(ini, k->name, "%s is no standard rate (%d ... %d)", v, HW_BAUD_MIN, HW_BAUD_MAX);
	return -EINVAL;
}

static int set_parity(struct kc_ini *ini, const struct kc_ini_key *k, void *base, const char *v)
{
	struct hw_bus_conf *b = base;

	if (strcasecmp(v, "none") == 0 || strcasecmp(v, "N") == 0)
		b->parity = 'N';
	else if (strcasecmp(v, "even") == 0 || strcasecmp(v, "E") == 0)
		b->parity = 'E';
	else if (strcasecmp(v, "odd") == 0 || strcasecmp(v, "O") == 0)
		b->parity = 'O';
	else {
		kc_ini_fail(ini, k->name, "\"%s\": say none, even or odd", v);
		return -EINVAL;
	}
	return 0;
}

/* A board's bus or a slot's board: a name, resolved once all is read. */
static int set_ref(struct kc_ini *ini, const struct kc_ini_key *k, void *base, const char *v)
{
	struct loader *l = ini->user;
	char *ref = l->kind == SEC_BOARD ? l->board_bus[l->index] : l->slot_board[l->index];

	(void)base;
	if (strlen(v) >= HW_NAME_MAX) {
		kc_ini_fail(ini, k->name, "longer than %d characters", HW_NAME_MAX - 1);
		return -EINVAL;
	}
	kc_strlcpy(ref, v, HW_NAME_MAX);
	return 0;
}

/* The names of enum hw_board_type and enum hw_profile, in their order. */
static const char *const board_types[] = { [HW_BOARD_MODBUS_RTU] = "modbus-rtu",
					   [HW_BOARD_MODBUS_TCP] = "modbus-tcp",
					   [HW_BOARD_GPIO] = "gpio", NULL };
static const char *const profiles[] = { [HW_PROFILE_GENERIC] = "generic",
					[HW_PROFILE_WAVESHARE_RELAY_D] = "waveshare-relay-d", NULL };

#define FIELD(s, f) offsetof(struct s, f)
#define SIZE(s, f) ((long long)sizeof(((struct s *)0)->f))
#define INT(sec, s, f, min, max, def) { sec, #f, KC_INI_INT, FIELD(s, f), min, max, def, NULL, NULL, NULL }
#define BOOL(sec, s, f) { sec, #f, KC_INI_BOOL, FIELD(s, f), 0, 1, 0, NULL, NULL, NULL }
#define TEXT(sec, s, f) { sec, #f, KC_INI_TEXT, FIELD(s, f), 0, SIZE(s, f), 0, NULL, NULL, NULL }
#define CHOICE(sec, s, f, list) { sec, #f, KC_INI_CHOICE, FIELD(s, f), 0, 0, 0, NULL, list, NULL }
#define FUNC(sec, name, fn) { sec, name, KC_INI_FUNC, 0, 0, 0, 0, NULL, NULL, fn }
#define CAB(f, min, max, def) INT("cabinet", hw_cabinet_conf, f, min, max, def)

/* Every key of the cabinet file (hw/README.md explains them). A number
 * without its key in the file has the default of its line. */
static const struct kc_ini_key hw_keys[] = {
	FUNC("cabinet", "id", set_id),
	TEXT("cabinet", hw_cabinet_conf, name),
	CAB(scan_ms, 10, 1000, 50),
	CAB(debounce, 1, 10, 2),
	CAB(pulse_ms, 100, HW_PULSE_HARD_MAX_MS, 10000),
	CAB(pulse_max_ms, 100, HW_PULSE_HARD_MAX_MS, 30000),
	CAB(timeout_ms, 10, 5000, 200),
	CAB(retry_min_ms, 10, HW_RETRY_LIMIT_MS, 500),
	CAB(retry_max_ms, 10, HW_RETRY_LIMIT_MS, 30000),

	FUNC("bus", "device", set_device),
	FUNC("bus", "baud", set_baud),
	FUNC("bus", "parity", set_parity),
	INT("bus", hw_bus_conf, data_bits, 7, 8, 8),
	INT("bus", hw_bus_conf, stop_bits, 1, 2, 1),

	CHOICE("board", hw_board_conf, type, board_types),
	CHOICE("board", hw_board_conf, profile, profiles),
	FUNC("board", "bus", set_ref),
	INT("board", hw_board_conf, unit, 0, HW_MODBUS_UNIT_MAX, 1),
	TEXT("board", hw_board_conf, host),
	INT("board", hw_board_conf, port, 1, 65535, HW_MODBUS_PORT),
	TEXT("board", hw_board_conf, chip),

	FUNC("slot", "board", set_ref),
	INT("slot", hw_slot_conf, lock, 0, HW_MODBUS_ADDR_MAX, -1),
	INT("slot", hw_slot_conf, sense, 0, HW_MODBUS_ADDR_MAX, -1),
	/* a tag is two registers: tag and tag + 1 */
	INT("slot", hw_slot_conf, tag, 0, HW_MODBUS_ADDR_MAX - 1, -1),
	BOOL("slot", hw_slot_conf, lock_active_low),
	BOOL("slot", hw_slot_conf, sense_active_low),
	TEXT("slot", hw_slot_conf, label),
};
#define NKEYS KC_ARRAY_SIZE(hw_keys)

/* The lines of the current section's keys. */
static int *entry_lines(struct loader *l, enum section_kind kind, int index)
{
	return l->lines[kind] + (size_t)index * NKEYS;
}

/* The line of key in an entry's line table, or def (the section's own
 * line) when the key was not given. */
static int key_line(const int *lines, enum section_kind kind, const char *key, int def)
{
	const struct kc_ini_key *k = kc_ini_find(hw_keys, NKEYS, section_kinds[kind], key);

	return k && lines[k - hw_keys] ? lines[k - hw_keys] : def;
}

static int grow(void **arr, int n, size_t size)
{
	void *p;

	if (n >= MAX_ENTRIES)
		return -E2BIG;
	p = realloc(*arr, (size_t)(n + 1) * size);
	if (!p)
		return -ENOMEM;
	memset((char *)p + (size_t)n * size, 0, size);
	*arr = p;
	return 0;
}

/* Called when a section ends: its required keys are there. */
static void check_missing(struct kc_ini *ini)
{
	static const char *const bus_req[] = { "device", NULL };
	static const char *const rtu_req[] = { "bus", "unit", NULL };
	static const char *const tcp_req[] = { "host", NULL };
	static const char *const gpio_req[] = { "chip", NULL };
	static const char *const slot_req[] = { "board", "lock", "sense", NULL };
	static const char *const cab_req[] = { "id", NULL };
	static const char *const *board_req[] = { [HW_BOARD_MODBUS_RTU] = rtu_req,
						   [HW_BOARD_MODBUS_TCP] = tcp_req,
						   [HW_BOARD_GPIO] = gpio_req };
	struct loader *l = ini->user;
	const int *lines;
	const char *const *req = NULL;

	if (l->kind == SEC_NONE)
		return;
	lines = entry_lines(l, l->kind, l->index);
	switch (l->kind) {
	case SEC_NONE:
	case SEC_KINDS:
		return;
	case SEC_CABINET:
		req = cab_req;
		break;
	case SEC_BUS:
		req = bus_req;
		break;
	case SEC_SLOT:
		req = slot_req;
		break;
	case SEC_BOARD:
		if (key_line(lines, SEC_BOARD, "type", 0) == 0) {
			kc_ini_fail_at(ini, l->section_line, "type",
				       "missing; say modbus-rtu, modbus-tcp or gpio");
			return;
		}
		req = board_req[l->conf->boards[l->index].type];
		break;
	}
	for (; *req; req++)
		if (key_line(lines, l->kind, *req, 0) == 0) {
			kc_ini_fail_at(ini, l->section_line, *req, "required key missing");
			return;
		}
}

/* Where the entries of a kind are kept; each starts with its name. */
struct entries {
	void **arr;
	int *n;
	size_t size;
	size_t line; /* offset of its int line */
};

_Static_assert(offsetof(struct hw_bus_conf, name) == 0 && offsetof(struct hw_board_conf, name) == 0 &&
		       offsetof(struct hw_slot_conf, name) == 0,
	       "an entry starts with its name");

static struct entries entries_of(struct hw_cabinet_conf *c, enum section_kind kind)
{
	if (kind == SEC_BUS)
		return (struct entries){ (void **)&c->buses, &c->nbuses, sizeof(*c->buses),
					 offsetof(struct hw_bus_conf, line) };
	if (kind == SEC_BOARD)
		return (struct entries){ (void **)&c->boards, &c->nboards, sizeof(*c->boards),
					 offsetof(struct hw_board_conf, line) };
	return (struct entries){ (void **)&c->slots, &c->nslots, sizeof(*c->slots),
				 offsetof(struct hw_slot_conf, line) };
}

/* A new entry of kind named name, its defaults written: 0, -E2BIG or
 * -ENOMEM. */
static int add_entry(struct kc_ini *ini, enum section_kind kind, const char *name)
{
	struct loader *l = ini->user;
	struct hw_cabinet_conf *c = l->conf;
	struct entries e = entries_of(c, kind);
	char *entry;
	int r = grow(e.arr, *e.n, e.size);

	if (r == 0)
		r = grow((void **)&l->lines[kind], *e.n, NKEYS * sizeof(int));
	if (r == 0 && kind == SEC_BOARD)
		r = grow((void **)&l->board_bus, *e.n, sizeof(*l->board_bus));
	if (r == 0 && kind == SEC_SLOT)
		r = grow((void **)&l->slot_board, *e.n, sizeof(*l->slot_board));
	if (r < 0)
		return r;
	entry = (char *)*e.arr + (size_t)*e.n * e.size;
	kc_ini_defaults(hw_keys, NKEYS, section_kinds[kind], entry);
	kc_strlcpy(entry, name, HW_NAME_MAX);
	memcpy(entry + e.line, &ini->line, sizeof(int));
	l->kind = kind;
	l->index = (*e.n)++;
	if (kind == SEC_BUS) {
		c->buses[l->index].baud = HW_BAUD_DEFAULT;
		c->buses[l->index].parity = 'N';
	} else if (kind == SEC_BOARD) {
		c->boards[l->index].bus = -1;
	} else {
		c->slots[l->index].board = -1;
	}
	return 0;
}

/* A [bus NAME], [board NAME] or [slot NAME] header. */
static int begin_entry(struct kc_ini *ini, enum section_kind kind, const char *name)
{
	struct loader *l = ini->user;
	struct entries e = entries_of(l->conf, kind);

	for (int i = 0; i < *e.n; i++) {
		const char *entry = (const char *)*e.arr + (size_t)i * e.size;
		int line;

		if (strcmp(entry, name) != 0)
			continue;
		memcpy(&line, entry + e.line, sizeof(int));
		kc_ini_fail(ini, NULL, "%s %s defined twice (first on line %d)", section_kinds[kind],
			    name, line);
		return 0;
	}
	return add_entry(ini, kind, name);
}

/* The loader's hook for a "[...]" line. */
static void begin_section(struct kc_ini *ini, const char *header)
{
	char kind[16] = "", name[HW_NAME_MAX + 8] = "";
	struct loader *l = ini->user;
	int n = 0, r;
	enum section_kind entry;

	l->section_line = ini->line;
	l->kind = SEC_NONE;
	if (sscanf(header, "%15s %71s %n", kind, name, &n) < 1) {
		kc_ini_fail(ini, NULL, "empty section name");
		return;
	}
	if (strcmp(kind, "cabinet") == 0) {
		if (name[0]) {
			kc_ini_fail(ini, NULL, "[cabinet] takes no name");
			return;
		}
		if (l->cabinet_seen) {
			kc_ini_fail(ini, NULL, "[cabinet] given twice (first on line %d)", l->cabinet_line);
			return;
		}
		l->cabinet_seen = true;
		l->cabinet_line = ini->line;
		l->kind = SEC_CABINET;
		l->index = 0;
		return;
	}
	entry = SEC_NONE;
	for (int k = SEC_BUS; k < SEC_KINDS; k++)
		if (strcmp(kind, section_kinds[k]) == 0)
			entry = k;
	if (!name[0] || header[n] != '\0') {
		kc_ini_fail(ini, NULL, "expected [%s NAME]", entry != SEC_NONE ? kind : "bus|board|slot");
		return;
	}
	if (!valid_name(name)) {
		kc_ini_fail(ini, NULL, "name \"%s\" must be 1 to %d letters, digits, '-', '_' or '.'",
			    name, HW_NAME_MAX - 1);
		return;
	}
	if (entry == SEC_NONE) {
		kc_ini_fail(ini, NULL, "unknown section kind \"%s\": expected cabinet, bus, board or slot",
			    kind);
		return;
	}
	r = begin_entry(ini, entry, name);
	if (r == -E2BIG)
		kc_ini_fail(ini, NULL, "more than %d entries of one kind", MAX_ENTRIES);
	else if (r < 0)
		kc_ini_fail(ini, NULL, "out of memory");
}

/* The loader's hook for a "key = value" line. */
static void on_key(struct kc_ini *ini, const char *name, const char *value)
{
	struct loader *l = ini->user;
	struct hw_cabinet_conf *c = l->conf;
	const struct kc_ini_key *k;
	void *base = NULL;
	int *lines;

	if (l->kind == SEC_NONE) {
		kc_ini_fail(ini, name, "key outside any section; start with [cabinet]");
		return;
	}
	lines = entry_lines(l, l->kind, l->index);
	k = kc_ini_find(hw_keys, NKEYS, section_kinds[l->kind], name);
	if (k && lines[k - hw_keys]) {
		kc_ini_fail(ini, name, "given twice in this section");
		return;
	}
	if (l->kind == SEC_CABINET)
		base = c;
	else if (l->kind == SEC_BUS)
		base = &c->buses[l->index];
	else if (l->kind == SEC_BOARD)
		base = &c->boards[l->index];
	else
		base = &c->slots[l->index];
	if (kc_ini_set(ini, hw_keys, NKEYS, section_kinds[l->kind], base, name, value) == 0 && k)
		lines[k - hw_keys] = ini->line;
}

#define SLOT_LINE(i, key) key_line(entry_lines(l, SEC_SLOT, i), SEC_SLOT, key, c->slots[i].line)
#define BOARD_LINE(i, key) key_line(entry_lines(l, SEC_BOARD, i), SEC_BOARD, key, c->boards[i].line)
#define CABINET_LINE(key) key_line(entry_lines(l, SEC_CABINET, 0), SEC_CABINET, key, l->cabinet_line)

/* Checks across sections, once everything is read. */
static void resolve(struct kc_ini *ini)
{
	struct loader *l = ini->user;
	struct hw_cabinet_conf *c = l->conf;

	if (!l->cabinet_seen) {
		ini->section[0] = '\0';
		kc_ini_fail_at(ini, 1, NULL, "no [cabinet] section (it names the cabinet: id = ...)");
		return;
	}
	snprintf(ini->section, sizeof(ini->section), "cabinet");
	if (c->pulse_max_ms < c->pulse_ms)
		kc_ini_fail_at(ini, CABINET_LINE("pulse_ms"), "pulse_ms",
		     "%d is above pulse_max_ms (%d)", c->pulse_ms, c->pulse_max_ms);
	if (c->retry_max_ms < c->retry_min_ms)
		kc_ini_fail_at(ini, CABINET_LINE("retry_max_ms"), "retry_max_ms", "%d is below retry_min_ms (%d)",
		     c->retry_max_ms, c->retry_min_ms);
	if (c->nslots == 0)
		kc_ini_fail_at(ini, l->cabinet_line, NULL, "the cabinet has no [slot ...] sections");

	for (int i = 0; i < c->nboards && !ini->failed; i++) {
		struct hw_board_conf *b = &c->boards[i];

		snprintf(ini->section, sizeof(ini->section), "board %s", b->name);
		if (b->type == HW_BOARD_MODBUS_RTU) {
			b->bus = -1;
			for (int j = 0; j < c->nbuses; j++)
				if (strcmp(c->buses[j].name, l->board_bus[i]) == 0)
					b->bus = j;
			if (b->bus < 0) {
				kc_ini_fail_at(ini, BOARD_LINE(i, "bus"), "bus", "no [bus %s] in this file", l->board_bus[i]);
				break;
			}
			if (b->unit < 1) {
				kc_ini_fail_at(ini, BOARD_LINE(i, "unit"), "unit", "a Modbus RTU unit id is 1 to %d",
					       HW_MODBUS_UNIT_MAX);
				break;
			}
			for (int j = 0; j < i; j++)
				if (c->boards[j].type == HW_BOARD_MODBUS_RTU &&
				    c->boards[j].bus == b->bus && c->boards[j].unit == b->unit)
					kc_ini_fail_at(ini, BOARD_LINE(i, "unit"), "unit",
					     "unit %d on bus %s is board %s's already (line %d)",
					     b->unit, c->buses[b->bus].name, c->boards[j].name,
					     BOARD_LINE(j, "unit"));
		} else if (l->board_bus[i][0]) {
			kc_ini_fail_at(ini, BOARD_LINE(i, "bus"), "bus", "only a modbus-rtu board sits on a [bus]");
		}
		if (b->type == HW_BOARD_MODBUS_TCP) {
			for (int j = 0; j < i; j++)
				if (c->boards[j].type == HW_BOARD_MODBUS_TCP &&
				    strcmp(c->boards[j].host, b->host) == 0 &&
				    c->boards[j].port == b->port && c->boards[j].unit == b->unit)
					kc_ini_fail_at(ini, BOARD_LINE(i, "unit"), "unit",
					     "unit %d at %s:%d is board %s's already (line %d)",
					     b->unit, b->host, b->port, c->boards[j].name,
					     BOARD_LINE(j, "unit"));
		}
		if (b->type == HW_BOARD_GPIO && b->profile != HW_PROFILE_GENERIC)
			kc_ini_fail_at(ini, BOARD_LINE(i, "profile"), "profile", "a gpio board has no Modbus profile");
		if (b->type != HW_BOARD_GPIO && b->chip[0])
			kc_ini_fail_at(ini, BOARD_LINE(i, "chip"), "chip", "only a gpio board has a chip");
		if (b->type != HW_BOARD_MODBUS_TCP && BOARD_LINE(i, "host") != b->line)
			kc_ini_fail_at(ini, BOARD_LINE(i, "host"), "host", "only a modbus-tcp board has a host");
		if (b->type != HW_BOARD_MODBUS_TCP && BOARD_LINE(i, "port") != b->line)
			kc_ini_fail_at(ini, BOARD_LINE(i, "port"), "port", "only a modbus-tcp board has a port");
		if (b->type == HW_BOARD_GPIO && BOARD_LINE(i, "unit") != b->line)
			kc_ini_fail_at(ini, BOARD_LINE(i, "unit"), "unit", "a gpio board has no Modbus unit");
	}

	for (int i = 0; i < c->nslots && !ini->failed; i++) {
		struct hw_slot_conf *s = &c->slots[i];
		struct hw_board_conf *b;

		snprintf(ini->section, sizeof(ini->section), "slot %s", s->name);
		s->board = hw_conf_find_board(c, l->slot_board[i]);
		if (s->board < 0) {
			kc_ini_fail_at(ini, SLOT_LINE(i, "board"), "board", "no [board %s] in this file", l->slot_board[i]);
			break;
		}
		b = &c->boards[s->board];
		if (b->profile == HW_PROFILE_WAVESHARE_RELAY_D) {
			if (s->lock >= HW_WAVESHARE_CHANNELS)
				kc_ini_fail_at(ini, SLOT_LINE(i, "lock"), "lock",
				     "%d: the Waveshare Relay (D) has relay channels 0 to %d", s->lock,
				     HW_WAVESHARE_CHANNELS - 1);
			if (s->sense >= HW_WAVESHARE_CHANNELS)
				kc_ini_fail_at(ini, SLOT_LINE(i, "sense"), "sense",
				     "%d: the Waveshare Relay (D) has inputs 0 to %d", s->sense,
				     HW_WAVESHARE_CHANNELS - 1);
			if (s->tag >= 0)
				kc_ini_fail_at(ini, SLOT_LINE(i, "tag"), "tag", "the Waveshare Relay (D) reads no key tags");
		}
		if (b->type == HW_BOARD_GPIO) {
			if (s->tag >= 0)
				kc_ini_fail_at(ini, SLOT_LINE(i, "tag"), "tag", "a gpio board reads no key tags");
			if (s->lock == s->sense)
				kc_ini_fail_at(ini, SLOT_LINE(i, "sense"), "sense", "line %d is this slot's lock line too",
				     s->sense);
		} else if (s->lock_active_low || s->sense_active_low) {
			kc_ini_fail_at(ini, SLOT_LINE(i, s->lock_active_low ? "lock_active_low" : "sense_active_low"),
			     s->lock_active_low ? "lock_active_low" : "sense_active_low",
			     "only gpio lines can be active-low");
		}
		for (int j = 0; j < i && !ini->failed; j++) {
			struct hw_slot_conf *o = &c->slots[j];
			const struct hw_board_conf *ob = &c->boards[o->board];

			/* GPIO boards on one chip share its lines */
			if (o->board != s->board &&
			    !(b->type == HW_BOARD_GPIO && ob->type == HW_BOARD_GPIO &&
			      strcmp(b->chip, ob->chip) == 0))
				continue;
			if (o->lock == s->lock)
				kc_ini_fail_at(ini, SLOT_LINE(i, "lock"), "lock", "%s %d of board %s is slot %s's already (line %d)",
				     b->type == HW_BOARD_GPIO ? "line" : "coil", s->lock, b->name,
				     o->name, SLOT_LINE(j, "lock"));
			else if (o->sense == s->sense)
				kc_ini_fail_at(ini, SLOT_LINE(i, "sense"), "sense", "%s %d of board %s is slot %s's already (line %d)",
				     b->type == HW_BOARD_GPIO ? "line" : "input", s->sense,
				     b->name, o->name, SLOT_LINE(j, "sense"));
			else if (b->type == HW_BOARD_GPIO &&
				 (o->lock == s->sense || o->sense == s->lock))
				kc_ini_fail_at(ini, SLOT_LINE(i, o->lock == s->sense ? "sense" : "lock"),
				     o->lock == s->sense ? "sense" : "lock",
				     "line %d of chip %s is slot %s's already (line %d)",
				     o->lock == s->sense ? s->sense : s->lock, b->chip, o->name,
				     SLOT_LINE(j, o->lock == s->sense ? "lock" : "sense"));
			else if (s->tag >= 0 && o->tag >= 0 && abs(o->tag - s->tag) < 2)
				kc_ini_fail_at(ini, SLOT_LINE(i, "tag"), "tag",
				     "registers %d-%d overlap slot %s's tag registers %d-%d",
				     s->tag, s->tag + 1, o->name, o->tag, o->tag + 1);
		}
	}
}

struct hw_cabinet_conf *hw_conf_load(const char *path, char *err, size_t errlen)
{
	static const struct kc_ini_spec spec = {
		.section = begin_section,
		.section_end = check_missing,
		.key = on_key,
		.end = resolve,
		.syntax = "syntax error: expected [section] or key = value",
		.cannot_open = "cannot open: ",
	};
	struct loader l = { .kind = SEC_NONE };
	struct hw_cabinet_conf *c;
	int r = -ENOMEM;

	c = calloc(1, sizeof(*c));
	l.lines[SEC_CABINET] = calloc(NKEYS, sizeof(int));
	if (c && l.lines[SEC_CABINET]) {
		l.conf = c;
		kc_strlcpy(c->path, path, sizeof(c->path));
		kc_ini_defaults(hw_keys, NKEYS, "cabinet", c);
		r = kc_ini_load(path, &spec, &l, err, errlen);
	} else {
		snprintf(err, errlen, "%s: out of memory", path);
	}
	free(l.slot_board);
	free(l.board_bus);
	for (int k = 0; k < SEC_KINDS; k++)
		free(l.lines[k]);
	if (r < 0) {
		hw_conf_free(c);
		return NULL;
	}
	return c;
}

void hw_conf_free(struct hw_cabinet_conf *conf)
{
	if (!conf)
		return;
	free(conf->buses);
	free(conf->boards);
	free(conf->slots);
	free(conf);
}

int hw_conf_find_slot(const struct hw_cabinet_conf *conf, const char *name)
{
	for (int i = 0; i < conf->nslots; i++)
		if (strcmp(conf->slots[i].name, name) == 0)
			return i;
	return -ENOENT;
}

int hw_conf_find_board(const struct hw_cabinet_conf *conf, const char *name)
{
	for (int i = 0; i < conf->nboards; i++)
		if (strcmp(conf->boards[i].name, name) == 0)
			return i;
	return -ENOENT;
}

const char *hw_board_type_name(enum hw_board_type t)
{
	return (unsigned)t < KC_ARRAY_SIZE(board_types) - 1 ? board_types[t] : "?";
}

const char *hw_profile_name(enum hw_profile p)
{
	return p == HW_PROFILE_WAVESHARE_RELAY_D ? profiles[p] : profiles[HW_PROFILE_GENERIC];
}
