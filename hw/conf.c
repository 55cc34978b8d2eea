/* Cabinet file loading: libinih parses, a line-counting reader gives every
 * key its line, and the checks after parsing catch what spans sections
 * (unknown boards, a coil wired twice, a missing key). */
#include "hw/conf.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define MAX_ENTRIES 4096

enum section_kind { SEC_NONE, SEC_CABINET, SEC_BUS, SEC_BOARD, SEC_SLOT };

/* Every key the file knows; a key's index here also indexes the lines
 * recorded for it, so that a check across sections can name the line of
 * the key that is wrong rather than its section's. */
static const char *const known_keys[] = { "id", "name", "scan_ms", "debounce", "pulse_ms",
					  "pulse_max_ms", "timeout_ms", "retry_min_ms",
					  "retry_max_ms", "device", "baud", "parity",
					  "data_bits", "stop_bits", "type", "profile", "bus",
					  "host", "port", "unit", "chip", "board", "lock",
					  "sense", "tag", "lock_active_low",
					  "sense_active_low", "label" };
#define NKEYS ((int)KC_ARRAY_SIZE(known_keys))

/* Keys seen in the section being parsed, to find missing and repeated ones. */
#define MAX_KEYS 16
struct seen {
	const char *keys[MAX_KEYS];
	int nkeys;
};

struct loader {
	struct hw_cabinet_conf *conf;
	FILE *f;
	char *buf;
	size_t bufsz;
	int line;
	enum section_kind kind;
	int index;       /* entry of the current section */
	char section[HW_NAME_MAX + 16];
	int section_line;
	struct seen seen;
	bool cabinet_seen;
	int cabinet_line;
	/* per-entry references resolved after parsing */
	char (*slot_board)[HW_NAME_MAX];
	char (*board_bus)[HW_NAME_MAX];
	int *board_lines; /* NKEYS per board: the line of each key, 0 if absent */
	int *slot_lines;  /* NKEYS per slot */
	int cabinet_lines[NKEYS];
	char *err;
	size_t errlen;
	bool failed;
};

static void fail(struct loader *l, int line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void fail(struct loader *l, int line, const char *key, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	if (l->failed)
		return;
	l->failed = true;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (key && l->section[0])
		snprintf(l->err, l->errlen, "%s:%d: [%s] %s: %s", l->conf->path, line,
			 l->section, key, what);
	else if (key)
		snprintf(l->err, l->errlen, "%s:%d: %s: %s", l->conf->path, line, key, what);
	else if (l->section[0])
		snprintf(l->err, l->errlen, "%s:%d: [%s]: %s", l->conf->path, line, l->section,
			 what);
	else
		snprintf(l->err, l->errlen, "%s:%d: %s", l->conf->path, line, what);
}

static bool valid_name(const char *s)
{
	if (!*s || strlen(s) >= HW_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
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

static int check_missing(struct loader *l)
{
	static const char *bus_req[] = { "device" };
	static const char *rtu_req[] = { "bus", "unit" };
	static const char *tcp_req[] = { "host" };
	static const char *gpio_req[] = { "chip" };
	static const char *slot_req[] = { "board", "lock", "sense" };
	static const char *cab_req[] = { "id" };
	const char **req = NULL;
	size_t nreq = 0;

	switch (l->kind) {
	case SEC_NONE:
		return 0;
	case SEC_CABINET:
		req = cab_req;
		nreq = KC_ARRAY_SIZE(cab_req);
		break;
	case SEC_BUS:
		req = bus_req;
		nreq = KC_ARRAY_SIZE(bus_req);
		break;
	case SEC_SLOT:
		req = slot_req;
		nreq = KC_ARRAY_SIZE(slot_req);
		break;
	case SEC_BOARD: {
		struct hw_board_conf *b = &l->conf->boards[l->index];
		bool has_type = false;

		for (int i = 0; i < l->seen.nkeys; i++)
			has_type |= strcmp(l->seen.keys[i], "type") == 0;
		if (!has_type) {
			fail(l, l->section_line, "type",
			     "missing; say modbus-rtu, modbus-tcp or gpio");
			return -EINVAL;
		}
		if (b->type == HW_BOARD_MODBUS_RTU) {
			req = rtu_req;
			nreq = KC_ARRAY_SIZE(rtu_req);
		} else if (b->type == HW_BOARD_MODBUS_TCP) {
			req = tcp_req;
			nreq = KC_ARRAY_SIZE(tcp_req);
		} else {
			req = gpio_req;
			nreq = KC_ARRAY_SIZE(gpio_req);
		}
		break;
	}
	}
	for (size_t k = 0; k < nreq; k++) {
		bool found = false;

		for (int i = 0; i < l->seen.nkeys; i++)
			found |= strcmp(l->seen.keys[i], req[k]) == 0;
		if (!found) {
			fail(l, l->section_line, req[k], "required key missing");
			return -EINVAL;
		}
	}
	return 0;
}

/* Called by the reader for a "[...]" line, before inih sees it. */
static void begin_section(struct loader *l, const char *header)
{
	char kind[16] = "", name[HW_NAME_MAX + 8] = "";
	struct hw_cabinet_conf *c = l->conf;
	int n = 0, r = 0;

	if (check_missing(l) < 0)
		return;
	l->seen.nkeys = 0;
	l->section_line = l->line;
	snprintf(l->section, sizeof(l->section), "%s", header);
	if (sscanf(header, "%15s %71s %n", kind, name, &n) < 1) {
		fail(l, l->line, NULL, "empty section name");
		return;
	}
	if (strcmp(kind, "cabinet") == 0) {
		if (name[0]) {
			fail(l, l->line, NULL, "[cabinet] takes no name");
			return;
		}
		if (l->cabinet_seen) {
			fail(l, l->line, NULL, "[cabinet] given twice (first on line %d)",
			     l->cabinet_line);
			return;
		}
		l->cabinet_seen = true;
		l->cabinet_line = l->line;
		l->kind = SEC_CABINET;
		return;
	}
	if (!name[0] || header[n] != '\0') {
		fail(l, l->line, NULL, "expected [%s NAME]",
		     strcmp(kind, "bus") == 0 || strcmp(kind, "board") == 0 ||
				     strcmp(kind, "slot") == 0 ?
			     kind :
			     "bus|board|slot");
		return;
	}
	if (!valid_name(name)) {
		fail(l, l->line, NULL,
		     "name \"%s\" must be 1 to 63 letters, digits, '-', '_' or '.'", name);
		return;
	}
	if (strcmp(kind, "bus") == 0) {
		for (int i = 0; i < c->nbuses; i++)
			if (strcmp(c->buses[i].name, name) == 0) {
				fail(l, l->line, NULL, "bus %s defined twice (first on line %d)",
				     name, c->buses[i].line);
				return;
			}
		r = grow((void **)&c->buses, c->nbuses, sizeof(*c->buses));
		if (r == 0) {
			struct hw_bus_conf *b = &c->buses[c->nbuses];

			kc_strlcpy(b->name, name, sizeof(b->name));
			b->baud = 9600;
			b->parity = 'N';
			b->data_bits = 8;
			b->stop_bits = 1;
			b->line = l->line;
			l->index = c->nbuses++;
			l->kind = SEC_BUS;
		}
	} else if (strcmp(kind, "board") == 0) {
		for (int i = 0; i < c->nboards; i++)
			if (strcmp(c->boards[i].name, name) == 0) {
				fail(l, l->line, NULL, "board %s defined twice (first on line %d)",
				     name, c->boards[i].line);
				return;
			}
		r = grow((void **)&c->boards, c->nboards, sizeof(*c->boards));
		if (r == 0)
			r = grow((void **)&l->board_bus, c->nboards, sizeof(*l->board_bus));
		if (r == 0)
			r = grow((void **)&l->board_lines, c->nboards, NKEYS * sizeof(int));
		if (r == 0) {
			struct hw_board_conf *b = &c->boards[c->nboards];

			kc_strlcpy(b->name, name, sizeof(b->name));
			b->profile = HW_PROFILE_GENERIC;
			b->bus = -1;
			b->port = 502;
			b->unit = 1;
			b->line = l->line;
			l->index = c->nboards++;
			l->kind = SEC_BOARD;
		}
	} else if (strcmp(kind, "slot") == 0) {
		for (int i = 0; i < c->nslots; i++)
			if (strcmp(c->slots[i].name, name) == 0) {
				fail(l, l->line, NULL, "slot %s defined twice (first on line %d)",
				     name, c->slots[i].line);
				return;
			}
		r = grow((void **)&c->slots, c->nslots, sizeof(*c->slots));
		if (r == 0)
			r = grow((void **)&l->slot_board, c->nslots, sizeof(*l->slot_board));
		if (r == 0)
			r = grow((void **)&l->slot_lines, c->nslots, NKEYS * sizeof(int));
		if (r == 0) {
			struct hw_slot_conf *s = &c->slots[c->nslots];

			kc_strlcpy(s->name, name, sizeof(s->name));
			s->board = -1;
			s->lock = -1;
			s->sense = -1;
			s->tag = -1;
			s->line = l->line;
			l->index = c->nslots++;
			l->kind = SEC_SLOT;
		}
	} else {
		fail(l, l->line, NULL, "unknown section kind \"%s\": expected cabinet, bus, board or slot",
		     kind);
		return;
	}
	if (r == -E2BIG)
		fail(l, l->line, NULL, "more than %d entries of one kind", MAX_ENTRIES);
	else if (r < 0)
		fail(l, l->line, NULL, "out of memory");
}

/* The reader inih calls for each line: counts lines and sees sections. */
static char *read_line(char *str, int num, void *stream)
{
	struct loader *l = stream;
	ssize_t n = getline(&l->buf, &l->bufsz, l->f);
	char *p;

	if (n < 0)
		return NULL;
	l->line++;
	if (n >= num - 1)
		fail(l, l->line, NULL, "line longer than %d characters", num - 2);
	p = l->buf;
	if (l->line == 1 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
	    (unsigned char)p[2] == 0xBF)
		p += 3;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '[') {
		char *end = strchr(p, ']');

		if (end) {
			char header[HW_NAME_MAX + 16];
			size_t len = (size_t)(end - p - 1);

			if (len >= sizeof(header))
				fail(l, l->line, NULL, "section name too long");
			else {
				memcpy(header, p + 1, len);
				header[len] = '\0';
				begin_section(l, header);
			}
		}
	}
	kc_strlcpy(str, l->buf, (size_t)num);
	return str;
}

static bool num(struct loader *l, const char *key, const char *value, long long min,
		long long max, int *out)
{
	long long v;
	int r = kc_parse_long(value, min, max, &v);

	if (r == -ERANGE) {
		fail(l, l->line, key, "%s is out of range (%lld to %lld)", value, min, max);
		return false;
	}
	if (r < 0) {
		fail(l, l->line, key, "\"%s\" is not a whole number", value);
		return false;
	}
	*out = (int)v;
	return true;
}

static bool boolean(struct loader *l, const char *key, const char *value, bool *out)
{
	if (kc_parse_bool(value, out) < 0) {
		fail(l, l->line, key, "\"%s\" is not yes or no", value);
		return false;
	}
	return true;
}

static bool text(struct loader *l, const char *key, const char *value, char *out, size_t len)
{
	if (strlen(value) >= len) {
		fail(l, l->line, key, "longer than %zu characters", len - 1);
		return false;
	}
	kc_strlcpy(out, value, len);
	return true;
}

static int set_cabinet(struct loader *l, const char *k, const char *v)
{
	struct hw_cabinet_conf *c = l->conf;

	if (strcmp(k, "id") == 0) {
		if (!valid_name(v)) {
			fail(l, l->line, k, "must be 1 to 63 letters, digits, '-', '_' or '.'");
			return 0;
		}
		return text(l, k, v, c->id, sizeof(c->id));
	}
	if (strcmp(k, "name") == 0)
		return text(l, k, v, c->name, sizeof(c->name));
	if (strcmp(k, "scan_ms") == 0)
		return num(l, k, v, 10, 1000, &c->scan_ms);
	if (strcmp(k, "debounce") == 0)
		return num(l, k, v, 1, 10, &c->debounce);
	if (strcmp(k, "pulse_ms") == 0)
		return num(l, k, v, 100, HW_PULSE_HARD_MAX_MS, &c->pulse_ms);
	if (strcmp(k, "pulse_max_ms") == 0)
		return num(l, k, v, 100, HW_PULSE_HARD_MAX_MS, &c->pulse_max_ms);
	if (strcmp(k, "timeout_ms") == 0)
		return num(l, k, v, 10, 5000, &c->timeout_ms);
	if (strcmp(k, "retry_min_ms") == 0)
		return num(l, k, v, 10, 600000, &c->retry_min_ms);
	if (strcmp(k, "retry_max_ms") == 0)
		return num(l, k, v, 10, 600000, &c->retry_max_ms);
	fail(l, l->line, k, "unknown key (known: id, name, scan_ms, debounce, pulse_ms, "
			    "pulse_max_ms, timeout_ms, retry_min_ms, retry_max_ms)");
	return 0;
}

static int set_bus(struct loader *l, const char *k, const char *v)
{
	struct hw_bus_conf *b = &l->conf->buses[l->index];

	if (strcmp(k, "device") == 0) {
		if (v[0] != '/') {
			fail(l, l->line, k, "must be an absolute path like /dev/ttyUSB0");
			return 0;
		}
		return text(l, k, v, b->device, sizeof(b->device));
	}
	if (strcmp(k, "baud") == 0) {
		static const int rates[] = { 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200 };

		if (!num(l, k, v, 1200, 115200, &b->baud))
			return 0;
		for (size_t i = 0; i < KC_ARRAY_SIZE(rates); i++)
			if (rates[i] == b->baud)
				return 1;
		fail(l, l->line, k, "%s is no standard rate (1200 ... 115200)", v);
		return 0;
	}
	if (strcmp(k, "parity") == 0) {
		if (strcasecmp(v, "none") == 0 || strcasecmp(v, "N") == 0)
			b->parity = 'N';
		else if (strcasecmp(v, "even") == 0 || strcasecmp(v, "E") == 0)
			b->parity = 'E';
		else if (strcasecmp(v, "odd") == 0 || strcasecmp(v, "O") == 0)
			b->parity = 'O';
		else {
			fail(l, l->line, k, "\"%s\": say none, even or odd", v);
			return 0;
		}
		return 1;
	}
	if (strcmp(k, "data_bits") == 0)
		return num(l, k, v, 7, 8, &b->data_bits);
	if (strcmp(k, "stop_bits") == 0)
		return num(l, k, v, 1, 2, &b->stop_bits);
	fail(l, l->line, k, "unknown key (known: device, baud, parity, data_bits, stop_bits)");
	return 0;
}

static int set_board(struct loader *l, const char *k, const char *v)
{
	struct hw_board_conf *b = &l->conf->boards[l->index];

	if (strcmp(k, "type") == 0) {
		if (strcmp(v, "modbus-rtu") == 0)
			b->type = HW_BOARD_MODBUS_RTU;
		else if (strcmp(v, "modbus-tcp") == 0)
			b->type = HW_BOARD_MODBUS_TCP;
		else if (strcmp(v, "gpio") == 0)
			b->type = HW_BOARD_GPIO;
		else {
			fail(l, l->line, k, "\"%s\": say modbus-rtu, modbus-tcp or gpio", v);
			return 0;
		}
		return 1;
	}
	if (strcmp(k, "profile") == 0) {
		if (strcmp(v, "generic") == 0)
			b->profile = HW_PROFILE_GENERIC;
		else if (strcmp(v, "waveshare-relay-d") == 0)
			b->profile = HW_PROFILE_WAVESHARE_RELAY_D;
		else {
			fail(l, l->line, k, "\"%s\": say generic or waveshare-relay-d", v);
			return 0;
		}
		return 1;
	}
	if (strcmp(k, "bus") == 0)
		return text(l, k, v, l->board_bus[l->index], HW_NAME_MAX);
	if (strcmp(k, "host") == 0)
		return text(l, k, v, b->host, sizeof(b->host));
	if (strcmp(k, "port") == 0)
		return num(l, k, v, 1, 65535, &b->port);
	if (strcmp(k, "unit") == 0)
		return num(l, k, v, 0, 247, &b->unit);
	if (strcmp(k, "chip") == 0)
		return text(l, k, v, b->chip, sizeof(b->chip));
	fail(l, l->line, k, "unknown key (known: type, profile, bus, unit, host, port, chip)");
	return 0;
}

static int set_slot(struct loader *l, const char *k, const char *v)
{
	struct hw_slot_conf *s = &l->conf->slots[l->index];

	if (strcmp(k, "board") == 0)
		return text(l, k, v, l->slot_board[l->index], HW_NAME_MAX);
	if (strcmp(k, "lock") == 0)
		return num(l, k, v, 0, 65535, &s->lock);
	if (strcmp(k, "sense") == 0)
		return num(l, k, v, 0, 65535, &s->sense);
	if (strcmp(k, "tag") == 0)
		return num(l, k, v, 0, 65534, &s->tag);
	if (strcmp(k, "lock_active_low") == 0)
		return boolean(l, k, v, &s->lock_active_low);
	if (strcmp(k, "sense_active_low") == 0)
		return boolean(l, k, v, &s->sense_active_low);
	if (strcmp(k, "label") == 0)
		return text(l, k, v, s->label, sizeof(s->label));
	fail(l, l->line, k, "unknown key (known: board, lock, sense, tag, lock_active_low, "
			    "sense_active_low, label)");
	return 0;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct loader *l = user;

	(void)section;
	if (l->failed)
		return 1;
	for (int i = 0; i < l->seen.nkeys; i++)
		if (strcmp(l->seen.keys[i], name) == 0) {
			fail(l, l->line, name, "given twice in this section");
			return 1;
		}
	switch (l->kind) {
	case SEC_NONE:
		fail(l, l->line, name, "key outside any section; start with [cabinet]");
		return 1;
	case SEC_CABINET:
		set_cabinet(l, name, value);
		break;
	case SEC_BUS:
		set_bus(l, name, value);
		break;
	case SEC_BOARD:
		set_board(l, name, value);
		break;
	case SEC_SLOT:
		set_slot(l, name, value);
		break;
	}
	/* Remember the key and its line (names are the static strings). */
	if (!l->failed && l->seen.nkeys < MAX_KEYS) {
		for (int i = 0; i < NKEYS; i++) {
			int *lines = NULL;

			if (strcmp(known_keys[i], name) != 0)
				continue;
			l->seen.keys[l->seen.nkeys++] = known_keys[i];
			if (l->kind == SEC_SLOT)
				lines = l->slot_lines + (size_t)l->index * NKEYS;
			else if (l->kind == SEC_BOARD)
				lines = l->board_lines + (size_t)l->index * NKEYS;
			else if (l->kind == SEC_CABINET)
				lines = l->cabinet_lines;
			if (lines)
				lines[i] = l->line;
		}
	}
	return 1;
}

/* The line of key in a section's line table, or def (the section's own
 * line) when the key was not given. */
static int key_line(const int *lines, const char *key, int def)
{
	for (int i = 0; i < NKEYS; i++)
		if (strcmp(known_keys[i], key) == 0)
			return lines[i] ? lines[i] : def;
	return def;
}

#define SLOT_LINE(i, key) key_line(l->slot_lines + (size_t)(i) * NKEYS, key, c->slots[i].line)
#define BOARD_LINE(i, key) key_line(l->board_lines + (size_t)(i) * NKEYS, key, c->boards[i].line)
#define CABINET_LINE(key) key_line(l->cabinet_lines, key, l->cabinet_line)

/* Checks across sections, once everything is read. */
static void resolve(struct loader *l)
{
	struct hw_cabinet_conf *c = l->conf;

	l->kind = SEC_NONE;
	if (!l->cabinet_seen) {
		l->section[0] = '\0';
		fail(l, 1, NULL, "no [cabinet] section (it names the cabinet: id = ...)");
		return;
	}
	snprintf(l->section, sizeof(l->section), "cabinet");
	if (c->pulse_max_ms < c->pulse_ms)
		fail(l, CABINET_LINE("pulse_ms"), "pulse_ms",
		     "%d is above pulse_max_ms (%d)", c->pulse_ms, c->pulse_max_ms);
	if (c->retry_max_ms < c->retry_min_ms)
		fail(l, CABINET_LINE("retry_max_ms"), "retry_max_ms", "%d is below retry_min_ms (%d)",
		     c->retry_max_ms, c->retry_min_ms);
	if (c->nslots == 0)
		fail(l, l->cabinet_line, NULL, "the cabinet has no [slot ...] sections");

	for (int i = 0; i < c->nboards && !l->failed; i++) {
		struct hw_board_conf *b = &c->boards[i];

		snprintf(l->section, sizeof(l->section), "board %s", b->name);
		if (b->type == HW_BOARD_MODBUS_RTU) {
			b->bus = -1;
			for (int j = 0; j < c->nbuses; j++)
				if (strcmp(c->buses[j].name, l->board_bus[i]) == 0)
					b->bus = j;
			if (b->bus < 0) {
				fail(l, BOARD_LINE(i, "bus"), "bus", "no [bus %s] in this file", l->board_bus[i]);
				break;
			}
			if (b->unit < 1) {
				fail(l, BOARD_LINE(i, "unit"), "unit", "a Modbus RTU unit id is 1 to 247");
				break;
			}
			for (int j = 0; j < i; j++)
				if (c->boards[j].type == HW_BOARD_MODBUS_RTU &&
				    c->boards[j].bus == b->bus && c->boards[j].unit == b->unit)
					fail(l, BOARD_LINE(i, "unit"), "unit",
					     "unit %d on bus %s is board %s's already (line %d)",
					     b->unit, c->buses[b->bus].name, c->boards[j].name,
					     BOARD_LINE(j, "unit"));
		} else if (l->board_bus[i][0]) {
			fail(l, BOARD_LINE(i, "bus"), "bus", "only a modbus-rtu board sits on a [bus]");
		}
		if (b->type == HW_BOARD_MODBUS_TCP) {
			for (int j = 0; j < i; j++)
				if (c->boards[j].type == HW_BOARD_MODBUS_TCP &&
				    strcmp(c->boards[j].host, b->host) == 0 &&
				    c->boards[j].port == b->port && c->boards[j].unit == b->unit)
					fail(l, BOARD_LINE(i, "unit"), "unit",
					     "unit %d at %s:%d is board %s's already (line %d)",
					     b->unit, b->host, b->port, c->boards[j].name,
					     BOARD_LINE(j, "unit"));
		}
		if (b->type == HW_BOARD_GPIO && b->profile != HW_PROFILE_GENERIC)
			fail(l, BOARD_LINE(i, "profile"), "profile", "a gpio board has no Modbus profile");
		if (b->type != HW_BOARD_GPIO && b->chip[0])
			fail(l, BOARD_LINE(i, "chip"), "chip", "only a gpio board has a chip");
		if (b->type != HW_BOARD_MODBUS_TCP && BOARD_LINE(i, "host") != b->line)
			fail(l, BOARD_LINE(i, "host"), "host", "only a modbus-tcp board has a host");
		if (b->type != HW_BOARD_MODBUS_TCP && BOARD_LINE(i, "port") != b->line)
			fail(l, BOARD_LINE(i, "port"), "port", "only a modbus-tcp board has a port");
		if (b->type == HW_BOARD_GPIO && BOARD_LINE(i, "unit") != b->line)
			fail(l, BOARD_LINE(i, "unit"), "unit", "a gpio board has no Modbus unit");
	}

	for (int i = 0; i < c->nslots && !l->failed; i++) {
		struct hw_slot_conf *s = &c->slots[i];
		struct hw_board_conf *b;

		snprintf(l->section, sizeof(l->section), "slot %s", s->name);
		s->board = hw_conf_find_board(c, l->slot_board[i]);
		if (s->board < 0) {
			fail(l, SLOT_LINE(i, "board"), "board", "no [board %s] in this file", l->slot_board[i]);
			break;
		}
		b = &c->boards[s->board];
		if (b->profile == HW_PROFILE_WAVESHARE_RELAY_D) {
			if (s->lock > 7)
				fail(l, SLOT_LINE(i, "lock"), "lock",
				     "%d: the Waveshare Relay (D) has relay channels 0 to 7", s->lock);
			if (s->sense > 7)
				fail(l, SLOT_LINE(i, "sense"), "sense",
				     "%d: the Waveshare Relay (D) has inputs 0 to 7", s->sense);
			if (s->tag >= 0)
				fail(l, SLOT_LINE(i, "tag"), "tag", "the Waveshare Relay (D) reads no key tags");
		}
		if (b->type == HW_BOARD_GPIO) {
			if (s->tag >= 0)
				fail(l, SLOT_LINE(i, "tag"), "tag", "a gpio board reads no key tags");
			if (s->lock == s->sense)
				fail(l, SLOT_LINE(i, "sense"), "sense", "line %d is this slot's lock line too",
				     s->sense);
		} else if (s->lock_active_low || s->sense_active_low) {
			fail(l, SLOT_LINE(i, s->lock_active_low ? "lock_active_low" : "sense_active_low"),
			     s->lock_active_low ? "lock_active_low" : "sense_active_low",
			     "only gpio lines can be active-low");
		}
		for (int j = 0; j < i && !l->failed; j++) {
			struct hw_slot_conf *o = &c->slots[j];
			const struct hw_board_conf *ob = &c->boards[o->board];

			/* GPIO boards on one chip share its lines */
			if (o->board != s->board &&
			    !(b->type == HW_BOARD_GPIO && ob->type == HW_BOARD_GPIO &&
			      strcmp(b->chip, ob->chip) == 0))
				continue;
			if (o->lock == s->lock)
				fail(l, SLOT_LINE(i, "lock"), "lock", "%s %d of board %s is slot %s's already (line %d)",
				     b->type == HW_BOARD_GPIO ? "line" : "coil", s->lock, b->name,
				     o->name, SLOT_LINE(j, "lock"));
			else if (o->sense == s->sense)
				fail(l, SLOT_LINE(i, "sense"), "sense", "%s %d of board %s is slot %s's already (line %d)",
				     b->type == HW_BOARD_GPIO ? "line" : "input", s->sense,
				     b->name, o->name, SLOT_LINE(j, "sense"));
			else if (b->type == HW_BOARD_GPIO &&
				 (o->lock == s->sense || o->sense == s->lock))
				fail(l, SLOT_LINE(i, o->lock == s->sense ? "sense" : "lock"),
				     o->lock == s->sense ? "sense" : "lock",
				     "line %d of chip %s is slot %s's already (line %d)",
				     o->lock == s->sense ? s->sense : s->lock, b->chip, o->name,
				     SLOT_LINE(j, o->lock == s->sense ? "lock" : "sense"));
			else if (s->tag >= 0 && o->tag >= 0 && abs(o->tag - s->tag) < 2)
				fail(l, SLOT_LINE(i, "tag"), "tag",
				     "registers %d-%d overlap slot %s's tag registers %d-%d",
				     s->tag, s->tag + 1, o->name, o->tag, o->tag + 1);
		}
	}
}

struct hw_cabinet_conf *hw_conf_load(const char *path, char *err, size_t errlen)
{
	struct loader l = { .err = err, .errlen = errlen };
	struct hw_cabinet_conf *c;
	int r;

	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	l.conf = c;
	kc_strlcpy(c->path, path, sizeof(c->path));
	c->scan_ms = 50;
	c->debounce = 2;
	c->pulse_ms = 10000;
	c->pulse_max_ms = 30000;
	c->timeout_ms = 200;
	c->retry_min_ms = 500;
	c->retry_max_ms = 30000;

	l.f = fopen(path, "r");
	if (!l.f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		goto err_conf;
	}
	r = ini_parse_stream(read_line, &l, on_key, &l);
	if (r > 0)
		fail(&l, r, NULL, "syntax error: expected [section] or key = value");
	else if (r < 0)
		fail(&l, 0, NULL, "cannot read the file");
	if (!l.failed)
		check_missing(&l);
	if (!l.failed)
		resolve(&l);
	fclose(l.f);
	free(l.buf);
	free(l.slot_board);
	free(l.board_bus);
	free(l.board_lines);
	free(l.slot_lines);
	if (l.failed)
		goto err_conf;
	return c;

err_conf:
	hw_conf_free(c);
	return NULL;
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
	switch (t) {
	case HW_BOARD_MODBUS_RTU:
		return "modbus-rtu";
	case HW_BOARD_MODBUS_TCP:
		return "modbus-tcp";
	case HW_BOARD_GPIO:
		return "gpio";
	}
	return "?";
}

const char *hw_profile_name(enum hw_profile p)
{
	return p == HW_PROFILE_WAVESHARE_RELAY_D ? "waveshare-relay-d" : "generic";
}
