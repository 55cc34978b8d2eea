/* One INI loader for every configuration file: the cabinet file (hw/conf.c),
 * keycabd's (controller/conf.c) and keyauditd's (service/config.c).
 *
 * libinih parses; kc_ini_load() gives it the one line reader, which counts
 * lines, refuses a line too long to read whole and sees each "[section]"
 * line before any key under it. Every problem is told as
 *
 *     FILE:LINE: [section] key: what is wrong
 *
 * and the first one in the file is the one told. Keys with a plain type are
 * lines in a table (struct kc_ini_key): section, name, type, range, default
 * and where the value goes; kc_ini_set() reads one of them. */
#ifndef KC_INI_H
#define KC_INI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define KC_INI_SECTION_MAX 80

struct kc_ini;
struct kc_ini_key;

struct kc_ini_spec {
	/* A "[header]" line, before its keys; NULL: nothing to do. */
	void (*section)(struct kc_ini *ini, const char *header);
	/* Before a "[header]" line and after the last line, while
	 * ini->section still names the section that ends; NULL: nothing. */
	void (*section_end)(struct kc_ini *ini);
	/* One "key = value" line in ini->section. */
	void (*key)(struct kc_ini *ini, const char *name, const char *value);
	/* After the last line, when nothing failed; NULL: nothing to do. */
	void (*end)(struct kc_ini *ini);
	/* What a line that is neither a section nor a key is, after
	 * "FILE:LINE: ". */
	const char *syntax;
	/* Put between "FILE: " and the reason when the file cannot be
	 * opened ("cannot open: ", or ""). */
	const char *cannot_open;
};

struct kc_ini {
	const char *path;
	int line;			  /* of the line being read */
	char section[KC_INI_SECTION_MAX]; /* the current header; the end hook may set it */
	void *user;
	bool failed;
	/* private */
	int fail_line;
	char *err;
	size_t errlen;
	const struct kc_ini_spec *spec;
	FILE *f;
	char *buf;
	size_t bufsz;
};

/* Reads path through spec with user as ini->user. 0; -errno when the file
 * cannot be opened or read; -EINVAL when a hook failed or a line is no INI
 * line. Either error leaves the message in err. */
int kc_ini_load(const char *path, const struct kc_ini_spec *spec, void *user, char *err,
		size_t errlen);

/* Records "FILE:LINE: [section] key: what" (line 0: no line; key NULL: no
 * key; an empty ini->section: no section). Only the first one counts. */
void kc_ini_fail_at(struct kc_ini *ini, int line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The same at the line being read. */
void kc_ini_fail(struct kc_ini *ini, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

enum kc_ini_type {
	KC_INI_INT,    /* int in [min, max] */
	KC_INI_LONG,   /* int64_t in [min, max] */
	KC_INI_MS,     /* int64_t milliseconds, a duration (kc_parse_duration) in [min, max] */
	KC_INI_MS_INT, /* the same into an int */
	KC_INI_BOOL,   /* bool: yes/no, true/false, on/off, 1/0 */
	KC_INI_TEXT,   /* char[max]; min 1: must not be empty */
	KC_INI_CHOICE, /* int: the index of the value in choices */
	KC_INI_FUNC,   /* set() reads it */
};

struct kc_ini_key {
	const char *section; /* the section's kind: its first word */
	const char *name;
	enum kc_ini_type type;
	size_t offset; /* of the value in the structure given to kc_ini_set() */
	long long min, max;
	long long def;		  /* the default of a number or a bool */
	const char *text_def;	  /* of a text, or NULL */
	const char *const *choices; /* KC_INI_CHOICE: NULL-terminated */
	/* KC_INI_FUNC: 0, or a failure recorded with kc_ini_fail() and
	 * returned. */
	int (*set)(struct kc_ini *ini, const struct kc_ini_key *k, void *base, const char *value);
};

/* The entry for section's key name, or NULL. */
const struct kc_ini_key *kc_ini_find(const struct kc_ini_key *keys, size_t n,
				     const char *section, const char *name);
/* Reads value into base as section's key name says; 0, or -EINVAL with
 * the failure recorded (an unknown key: "unknown key (known: ...)"). */
int kc_ini_set(struct kc_ini *ini, const struct kc_ini_key *keys, size_t n, const char *section,
	       void *base, const char *name, const char *value);
/* Writes the defaults of section's keys (NULL: every section's) into
 * base; a KC_INI_FUNC key's default is the caller's to write. */
void kc_ini_defaults(const struct kc_ini_key *keys, size_t n, const char *section, void *base);

#endif
