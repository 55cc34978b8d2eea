/* keycab: the command line at the cabinet (controller/README.md lists the
 * commands). It sends one JSON request to keycabd's socket and shows the
 * reply. Exit codes: 0 done, 1 error, 2 usage, 3 refused by a rule.
 *
 * Secrets never come on the command line (ps shows it): PINs, cards and ID
 * numbers are read from a prompt without echo, or one line each from
 * stdin with --pin-stdin, --card-stdin, --id-stdin, --approver-pin-stdin
 * (in that order when several are given). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "common/util.h"
#include "controller/conf.h"
#include "controller/csv.h"

#define EXIT_REFUSED 3
#define EXIT_USAGE 2

static const char *prog = "keycab";
static bool opt_json;
static const char *socket_path;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: keycab [--socket PATH] [--json] COMMAND [ARGS]\n"
		"\n"
		"At the cabinet:\n"
		"  login PERSON [--pin-stdin] | login --card-stdin   [--print-token]\n"
		"  logout | whoami\n"
		"  release KEY --purpose borrow|inspection|repair|emergency [--borrower WHO]\n"
		"          [--contact PHONE] [--signature REF] [--letter N] [--id-type T --id-stdin]\n"
		"          [--work-order WO] [--due TIME | --due-in 2h] [--approval N]\n"
		"          [--approver MANAGER --approver-pin-stdin]\n"
		"  collect KEY --signature REF [--id-stdin]         owner collection (rule 8)\n"
		"  approve KEY --for 30m [--from TIME]              a manager's approval (rule 4)\n"
		"  id release LOAN                                  give back the ID held (rule 3)\n"
		"  inspect LOAN --result ok|problems [--problems TEXT --forwarded-to DEPT]\n"
		"  handover start | handover confirm N | handover review N\n"
		"  alarm clear N --note TEXT\n"
		"Reading (each with --json):\n"
		"  status | keys | slots | loans [--all] | ids | alarms [--all] | entrustments\n"
		"  letters | people | handovers | notices | approvals\n"
		"Admin:\n"
		"  import sites|units|owners|keys FILE.csv\n"
		"  person add CODE --name NAME --role staff|engineer|manager|supervisor\n"
		"          [--phone P] [--pin-stdin] [--card-stdin]\n"
		"  entrust KEY --owner OWNER --end DATE [--start DATE]\n"
		"  letter file ENTRUSTMENT --borrower NAME --id-type T [--id-stdin] --to DATE\n"
		"          [--from DATE] --ref REF\n"
		"  letter confirm LETTER --channel phone|in_person|wechat|sms [--at TIME]\n"
		"  unit vacant UNIT yes|no\n"
		"Times are the cabinet's local time (keycabd's [cabinet] time_zone): YYYY-MM-DD or\n"
		"\"YYYY-MM-DD HH:MM\"; an end date (--end, --to) holds that whole day; --json shows\n"
		"ISO times in UTC. The socket is $KEYCAB_SOCKET or\n"
		"/run/keycabd/keycabd.sock; the session is $KEYCAB_SESSION or the file\n"
		"$XDG_RUNTIME_DIR/keycab/session. Exit: 0 done, 1 error, 2 usage, 3 refused.\n");
}

static void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(keycab --help lists the commands)\n");
	exit(EXIT_USAGE);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: error: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* Options of one command: "--name value" or "--flag". */
struct opts {
	const char *names[24];
	const char *values[24]; /* NULL for a flag not given; "" for a flag given */
	int n;
	const char *pos[4];
	int npos;
};

static void parse_opts(struct opts *o, int argc, char **argv, const char *spec)
{
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		char want[40];
		const char *p;
		bool takes;

		if (strcmp(a, "--json") == 0) {
			opt_json = true;
			continue;
		}
		if (strncmp(a, "--", 2) != 0) {
			if (o->npos >= 4)
				die_usage("too many arguments at \"%s\"", a);
			o->pos[o->npos++] = a;
			continue;
		}
		snprintf(want, sizeof(want), "%s=", a + 2);
		p = strstr(spec, want);
		takes = p && (p == spec || p[-1] == ',');
		if (!takes) {
			snprintf(want, sizeof(want), "%s,", a + 2);
			p = strstr(spec, want);
			if (!p || (p != spec && p[-1] != ','))
				die_usage("unknown option %s for this command", a);
		}
		if (o->n >= 24)
			die_usage("too many options");
		o->names[o->n] = a + 2;
		if (takes) {
			if (i + 1 >= argc)
				die_usage("%s needs a value", a);
			o->values[o->n] = argv[++i];
		} else {
			o->values[o->n] = "";
		}
		o->n++;
	}
}

static const char *opt(const struct opts *o, const char *name)
{
	for (int i = 0; i < o->n; i++)
		if (strcmp(o->names[i], name) == 0)
			return o->values[i];
	return NULL;
}

/* A secret: one line from stdin when asked to, else a prompt on the
 * terminal without echo. */
static char *read_secret(const char *prompt, bool from_stdin)
{
	static char bufs[4][256];
	static int next;
	char *buf = bufs[next++ % 4];
	struct termios old, quiet;
	FILE *in = stdin;
	bool tty = false;
	size_t n;

	if (!from_stdin) {
		in = fopen("/dev/tty", "r+e");
		if (!in)
			die("%s needs a terminal to ask, or the matching --...-stdin option", prompt);
		tty = tcgetattr(fileno(in), &old) == 0;
		if (tty) {
			quiet = old;
			quiet.c_lflag &= (tcflag_t) ~ECHO;
			tcsetattr(fileno(in), TCSAFLUSH, &quiet);
		}
		fprintf(stderr, "%s: ", prompt);
	}
	if (!fgets(buf, sizeof(bufs[0]), in)) {
		if (tty)
			tcsetattr(fileno(in), TCSAFLUSH, &old);
		die("no %s given (end of input)", prompt);
	}
	if (tty) {
		tcsetattr(fileno(in), TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (in != stdin)
		fclose(in);
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	return buf;
}

static void session_file(char *out, size_t len, bool make_dir)
{
	const char *rt = getenv("XDG_RUNTIME_DIR");
	char dir[256];

	if (rt && *rt)
		snprintf(dir, sizeof(dir), "%s/keycab", rt);
	else
		snprintf(dir, sizeof(dir), "/tmp/keycab-%u", (unsigned)getuid());
	if (make_dir && mkdir(dir, 0700) < 0 && errno != EEXIST)
		die("%s: %s", dir, strerror(errno));
	snprintf(out, len, "%s/session", dir);
}

static const char *session_token(void)
{
	static char tok[128];
	const char *env = getenv("KEYCAB_SESSION");
	char path[300];
	struct stat sb;
	FILE *f;

	if (env && *env)
		return env;
	session_file(path, sizeof(path), false);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	/* Someone else's or a readable session file is not ours to use. */
	if (fstat(fileno(f), &sb) < 0 || sb.st_uid != getuid() || (sb.st_mode & 077)) {
		fclose(f);
		die("%s: must be a 0600 file of yours; remove it and log in again", path);
	}
	if (!fgets(tok, sizeof(tok), f))
		tok[0] = '\0';
	fclose(f);
	tok[strcspn(tok, "\r\n")] = '\0';
	return tok[0] ? tok : NULL;
}

static json_t *call(json_t *req)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *tok = session_token();
	json_error_t jerr;
	char *line, *buf = NULL;
	size_t len = 0, cap = 0;
	json_t *rep;
	int fd;

	if (tok && !json_object_get(req, "session"))
		json_object_set_new(req, "session", json_string(tok));
	line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!line)
		die("out of memory");
	kc_strlcpy(sa.sun_path, socket_path, sizeof(sa.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("cannot reach keycabd at %s: %s (is it running? --socket or $KEYCAB_SOCKET)",
		    socket_path, strerror(errno));
	len = strlen(line);
	line[len] = '\n';
	for (size_t off = 0; off < len + 1;) {
		ssize_t n = send(fd, line + off, len + 1 - off, MSG_NOSIGNAL);

		if (n < 0)
			die("writing to keycabd: %s", strerror(errno));
		off += (size_t)n;
	}
	explicit_bzero(line, len);
	free(line);
	len = 0;
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 16384;
			buf = realloc(buf, cap);
			if (!buf)
				die("out of memory");
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(buf + len - n, '\n', (size_t)n))
			break;
	}
	close(fd);
	if (len == 0)
		die("keycabd closed the connection without an answer");
	buf[len] = '\0';
	rep = json_loads(buf, 0, &jerr);
	free(buf);
	if (!json_is_object(rep))
		die("keycabd's answer is not JSON: %s", jerr.text);
	return rep;
}

/* Prints a refusal or an error and exits; returns on success. */
static void check(json_t *rep)
{
	json_t *missing;
	size_t i;
	json_t *v;

	if (json_is_true(json_object_get(rep, "ok")))
		return;
	if (opt_json) {
		char *s = json_dumps(rep, JSON_INDENT(2));

		printf("%s\n", s ? s : "{}");
		free(s);
	}
	if (json_is_true(json_object_get(rep, "refused"))) {
		int rule = (int)json_integer_value(json_object_get(rep, "rule"));

		if (rule > 0)
			fprintf(stderr, "REFUSED (custody rule %d): %s\n", rule,
				json_string_value(json_object_get(rep, "reason")));
		else
			fprintf(stderr, "REFUSED: %s\n", json_string_value(json_object_get(rep, "reason")));
		missing = json_object_get(rep, "missing");
		if (json_array_size(missing) > 0) {
			fprintf(stderr, "  missing:");
			json_array_foreach(missing, i, v)
				fprintf(stderr, "%s %s", i ? "," : "", json_string_value(v));
			fputc('\n', stderr);
		}
		exit(EXIT_REFUSED);
	}
	fprintf(stderr, "%s: error: %s\n", prog, json_string_value(json_object_get(rep, "error")));
	exit(1);
}

static void print_json(json_t *rep)
{
	char *s;

	json_object_del(rep, "ok");
	s = json_dumps(rep, JSON_INDENT(2));
	printf("%s\n", s ? s : "{}");
	free(s);
}

static json_t *req_new(const char *op)
{
	return json_pack("{s:s}", "op", op);
}

/* The cabinet's time zone, asked of keycabd once: the desk reads times in
 * the cabinet's zone, whatever TZ this shell has. */
static void desk_zone(void)
{
	static bool done;
	const char *zone;
	json_t *rep;

	if (done)
		return;
	done = true;
	rep = call(req_new("ping"));
	zone = json_string_value(json_object_get(rep, "time_zone"));
	if (!zone || !*zone)
		zone = KC_TZ_DEFAULT;
	if (kc_tz_set(zone) < 0) {
		fprintf(stderr, "%s: warning: the cabinet's time zone %s is not known here (%s); "
				"times are shown in UTC\n",
			prog, zone, KC_TZ_DIR);
		setenv("TZ", "UTC0", 1);
		tzset();
	}
	json_decref(rep);
}

/* A time the daemon sends ("2026-11-23T01:56:46.145Z") as the desk reads
 * it: local time in the cabinet's zone, to the minute; a date (a start at
 * local midnight, or an end at the next one) as the bare date. false when
 * s is no such time. --json output keeps the ISO form. */
static bool human_time(const char *name, const char *s, char *out, size_t len)
{
	enum kc_day_as as = KC_DAY_LAST;
	int64_t ms;

	if (strlen(s) != 24 || s[10] != 'T' || s[23] != 'Z' || kc_time_parse(s, &ms) < 0)
		return false;
	if (name && (strcmp(name, "end") == 0 || strcmp(name, "valid_to") == 0))
		as = KC_DAY_END;
	else if (name && (strcmp(name, "start") == 0 || strcmp(name, "valid_from") == 0))
		as = KC_DAY_START;
	desk_zone();
	kc_local_format(ms, as, out, len);
	return true;
}

/* A reply's member name as the desk reads its value. */
static void cell(char *out, size_t len, const char *name, json_t *v)
{
	if (json_is_string(v) && human_time(name, json_string_value(v), out, len))
		return;
	if (json_is_string(v))
		snprintf(out, len, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(out, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_true(v))
		snprintf(out, len, "yes");
	else if (json_is_false(v))
		snprintf(out, len, "no");
	else if (json_is_null(v) || !v)
		snprintf(out, len, "-");
	else {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

		snprintf(out, len, "%s", s ? s : "?");
		free(s);
	}
}

/* Columns a string takes on a terminal: CJK and full-width characters
 * (3-byte UTF-8 from U+1100 on, in practice) take two. */
static size_t display_width(const char *s)
{
	size_t w = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p & 0xc0) == 0x80)
			continue;
		w += *p >= 0xe1 && *p < 0xf0 ? 2 : 1;
	}
	return w;
}

/* Prints s padded to width columns, cut at max columns. */
static void print_cell(const char *s, size_t width, size_t max)
{
	size_t w = 0;
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t cw = *p >= 0xe1 && *p < 0xf0 ? 2 : 1, len = 1;

		while ((p[len] & 0xc0) == 0x80)
			len++;
		if (w + cw > max)
			break;
		fwrite(p, 1, len, stdout);
		w += cw;
		p += len;
	}
	for (; w < width; w++)
		putchar(' ');
}

/* An array of objects as an aligned table. */
static void print_table(json_t *arr, const char *empty)
{
	const char *cols[24];
	size_t widths[24] = { 0 }, ncols = 0, i;
	const char *k;
	json_t *row, *v;
	char buf[200];

	if (json_array_size(arr) == 0) {
		printf("%s\n", empty);
		return;
	}
	json_object_foreach(json_array_get(arr, 0), k, v) {
		if (ncols < 24) {
			cols[ncols] = k;
			widths[ncols] = strlen(k);
			ncols++;
		}
	}
	json_array_foreach(arr, i, row)
		for (size_t c = 0; c < ncols; c++) {
			size_t w;

			cell(buf, sizeof(buf), cols[c], json_object_get(row, cols[c]));
			w = display_width(buf);
			if (w > widths[c])
				widths[c] = w > 40 ? 40 : w;
		}
	for (size_t c = 0; c < ncols; c++) {
		print_cell(cols[c], c + 1 < ncols ? widths[c] : 0, 40);
		fputs(c + 1 < ncols ? "  " : "\n", stdout);
	}
	json_array_foreach(arr, i, row)
		for (size_t c = 0; c < ncols; c++) {
			cell(buf, sizeof(buf), cols[c], json_object_get(row, cols[c]));
			print_cell(buf, c + 1 < ncols ? widths[c] : 0, 40);
			fputs(c + 1 < ncols ? "  " : "\n", stdout);
		}
}

static void set_opt_str(json_t *req, const struct opts *o, const char *opt_name, const char *member)
{
	const char *v = opt(o, opt_name);

	if (v)
		json_object_set_new(req, member, json_string(v));
}

/* A time typed at the desk goes to keycabd as typed: keycabd reads it in
 * the cabinet's zone (a bare date, "YYYY-MM-DD HH:MM"; ISO with Z is UTC)
 * and refuses what is no time with its message. */
static void set_opt_time(json_t *req, const struct opts *o, const char *opt_name,
			 const char *member)
{
	set_opt_str(req, o, opt_name, member);
}

static long long need_int(const char *s, const char *what)
{
	long long v;

	if (!s || kc_parse_long(s, 1, INT64_MAX, &v) < 0)
		die_usage("%s must be a number (got \"%s\")", what, s ? s : "");
	return v;
}

static const char *need_pos(const struct opts *o, int i, const char *what)
{
	if (o->npos <= i)
		die_usage("%s is missing", what);
	return o->pos[i];
}

static int cmd_login(int argc, char **argv)
{
	struct opts o;
	json_t *req = req_new("login"), *rep;
	char path[300];
	FILE *f;
	int fd;

	parse_opts(&o, argc, argv, "pin-stdin,card-stdin,print-token,");
	if (opt(&o, "card-stdin")) {
		json_object_set_new(req, "card", json_string(read_secret("card", true)));
	} else {
		json_object_set_new(req, "person", json_string(need_pos(&o, 0, "the person's code")));
		json_object_set_new(req, "pin",
				    json_string(read_secret("PIN", opt(&o, "pin-stdin") != NULL)));
	}
	/* A login starts afresh: no old session goes with it. */
	json_object_set_new(req, "session", json_null());
	rep = call(req);
	check(rep);
	if (opt(&o, "print-token")) {
		printf("%s\n", json_string_value(json_object_get(rep, "session")));
		json_decref(rep);
		return 0;
	}
	session_file(path, sizeof(path), true);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || fchmod(fd, 0600) < 0 || !(f = fdopen(fd, "w")))
		die("%s: %s", path, strerror(errno));
	fprintf(f, "%s\n", json_string_value(json_object_get(rep, "session")));
	fclose(f);
	if (opt_json) {
		json_object_del(rep, "session");
		print_json(rep);
	} else {
		printf("logged in: %s (%s, %s); the session ends after %lld s idle\n",
		       json_string_value(json_object_get(rep, "person")),
		       json_string_value(json_object_get(rep, "name")),
		       json_string_value(json_object_get(rep, "role")),
		       (long long)json_integer_value(json_object_get(rep, "idle_timeout_s")));
	}
	json_decref(rep);
	return 0;
}

static int cmd_logout(int argc, char **argv)
{
	struct opts o;
	char path[300];
	json_t *rep;

	parse_opts(&o, argc, argv, "");
	rep = call(req_new("logout"));
	if (!getenv("KEYCAB_SESSION")) {
		session_file(path, sizeof(path), false);
		unlink(path);
	}
	check(rep);
	printf("logged out\n");
	json_decref(rep);
	return 0;
}

static void print_release(json_t *rep)
{
	char due[64];

	cell(due, sizeof(due), "due", json_object_get(rep, "due"));
	printf("GRANTED: key %s, loan %lld to %s (%s); slot %s opens for %lld s",
	       json_string_value(json_object_get(rep, "key")),
	       (long long)json_integer_value(json_object_get(rep, "loan")),
	       json_string_value(json_object_get(rep, "borrower")),
	       json_string_value(json_object_get(rep, "purpose")),
	       json_string_value(json_object_get(rep, "slot")),
	       (long long)json_integer_value(json_object_get(rep, "window_ms")) / 1000);
	if (strcmp(due, "-") != 0)
		printf("; due back %s", due);
	printf("\n");
	if (json_object_get(rep, "id_held"))
		printf("  ID held at the desk: %s\n", json_string_value(json_object_get(rep, "id_held")));
	if (json_object_get(rep, "approval"))
		printf("  manager's approval %lld used\n",
		       (long long)json_integer_value(json_object_get(rep, "approval")));
}

static int cmd_release(int argc, char **argv)
{
	struct opts o;
	json_t *req = req_new("release"), *rep;
	const char *v;

	parse_opts(&o, argc, argv,
		   "purpose=,borrower=,contact=,signature=,letter=,id-type=,id-stdin,work-order=,"
		   "due=,due-in=,approval=,approver=,approver-pin-stdin,");
	json_object_set_new(req, "key", json_string(need_pos(&o, 0, "the key's code")));
	if (!opt(&o, "purpose"))
		die_usage("--purpose is needed: borrow, inspection, repair or emergency");
	set_opt_str(req, &o, "purpose", "purpose");
	set_opt_str(req, &o, "borrower", "borrower");
	set_opt_str(req, &o, "contact", "contact");
	set_opt_str(req, &o, "signature", "signature");
	set_opt_str(req, &o, "id-type", "id_type");
	set_opt_str(req, &o, "work-order", "work_order");
	set_opt_time(req, &o, "due", "due");
	set_opt_str(req, &o, "approver", "approver");
	if ((v = opt(&o, "letter")))
		json_object_set_new(req, "letter", json_integer(need_int(v, "--letter")));
	if ((v = opt(&o, "approval")))
		json_object_set_new(req, "approval", json_integer(need_int(v, "--approval")));
	if ((v = opt(&o, "due-in"))) {
		int64_t ms;

		if (kc_parse_duration(v, 1000, 366LL * 86400000, &ms) < 0)
			die_usage("--due-in must be a duration like 90m, 4h or 2d");
		json_object_set_new(req, "due_in_s", json_integer(ms / 1000));
	}
	if (opt(&o, "id-stdin") || (opt(&o, "id-type") && isatty(STDIN_FILENO)))
		json_object_set_new(req, "id_number",
				    json_string(read_secret("borrower's ID number",
							    opt(&o, "id-stdin") != NULL)));
	if (opt(&o, "approver"))
		json_object_set_new(req, "approver_pin",
				    json_string(read_secret("manager's PIN",
							    opt(&o, "approver-pin-stdin") != NULL)));
	rep = call(req);
	check(rep);
	if (opt_json)
		print_json(rep);
	else
		print_release(rep);
	json_decref(rep);
	return 0;
}

static int cmd_collect(int argc, char **argv)
{
	struct opts o;
	json_t *req = req_new("collect"), *rep;

	parse_opts(&o, argc, argv, "signature=,id-stdin,");
	json_object_set_new(req, "key", json_string(need_pos(&o, 0, "the key's code")));
	set_opt_str(req, &o, "signature", "signature");
	json_object_set_new(req, "id_number",
			    json_string(read_secret("owner's ID number", opt(&o, "id-stdin") != NULL)));
	rep = call(req);
	check(rep);
	if (opt_json)
		print_json(rep);
	else {
		print_release(rep);
		printf("  the entrustment closes when the owner takes the key\n");
	}
	json_decref(rep);
	return 0;
}

static int cmd_approve(int argc, char **argv)
{
	struct opts o;
	json_t *req = req_new("approve"), *rep;
	int64_t ms;

	parse_opts(&o, argc, argv, "for=,from=,");
	json_object_set_new(req, "key", json_string(need_pos(&o, 0, "the key's code")));
	if (!opt(&o, "for") || kc_parse_duration(opt(&o, "for"), 1000, 86400000, &ms) < 0)
		die_usage("--for is needed: how long the approval holds, 1s to 24h (e.g. 30m)");
	json_object_set_new(req, "valid_for_s", json_integer(ms / 1000));
	set_opt_time(req, &o, "from", "valid_from");
	rep = call(req);
	check(rep);
	if (opt_json)
		print_json(rep);
	else {
		char from[64], to[64];

		cell(from, sizeof(from), "due", json_object_get(rep, "valid_from"));
		cell(to, sizeof(to), "due", json_object_get(rep, "valid_to"));
		printf("approval %lld for key %s: valid from %s to %s\n",
		       (long long)json_integer_value(json_object_get(rep, "approval")), o.pos[0], from,
		       to);
	}
	json_decref(rep);
	return 0;
}

static int simple(json_t *req, const char *done, const char *member)
{
	json_t *rep = call(req);

	check(rep);
	if (opt_json)
		print_json(rep);
	else if (member)
		printf("%s %lld\n", done, (long long)json_integer_value(json_object_get(rep, member)));
	else
		printf("%s\n", done);
	json_decref(rep);
	return 0;
}

static int cmd_id(int argc, char **argv)
{
	struct opts o;
	json_t *req, *rep;

	parse_opts(&o, argc, argv, "");
	if (o.npos < 2 || strcmp(o.pos[0], "release") != 0)
		die_usage("usage: keycab id release LOAN");
	req = req_new("id.release");
	json_object_set_new(req, "loan", json_integer(need_int(o.pos[1], "LOAN")));
	rep = call(req);
	check(rep);
	if (opt_json)
		print_json(rep);
	else
		printf("ID %s (%s) of %s given back (loan %lld)\n",
		       json_string_value(json_object_get(rep, "id_masked")),
		       json_string_value(json_object_get(rep, "id_type")),
		       json_string_value(json_object_get(rep, "person")),
		       (long long)json_integer_value(json_object_get(rep, "loan")));
	json_decref(rep);
	return 0;
}

static int cmd_inspect(int argc, char **argv)
{
	struct opts o;
	json_t *req = req_new("inspect");

	parse_opts(&o, argc, argv, "result=,problems=,forwarded-to=,");
	json_object_set_new(req, "loan", json_integer(need_int(need_pos(&o, 0, "LOAN"), "LOAN")));
	if (!opt(&o, "result"))
		die_usage("--result is needed: ok or problems");
	set_opt_str(req, &o, "result", "result");
	set_opt_str(req, &o, "problems", "problems");
	set_opt_str(req, &o, "forwarded-to", "forwarded_to");
	return simple(req, "inspection recorded", NULL);
}

static void print_sheet(json_t *rep)
{
	printf("handover %lld by %s\n", (long long)json_integer_value(json_object_get(rep, "handover")),
	       json_string_value(json_object_get(rep, "outgoing")));
	printf("-- keys out --\n");
	print_table(json_object_get(rep, "keys_out"), "(none)");
	printf("-- IDs held --\n");
	print_table(json_object_get(rep, "ids_held"), "(none)");
	printf("-- open alarms --\n");
	print_table(json_object_get(rep, "alarms"), "(none)");
}

static int cmd_handover(int argc, char **argv)
{
	struct opts o;
	json_t *req, *rep;

	parse_opts(&o, argc, argv, "");
	if (o.npos < 1)
		die_usage("usage: keycab handover start | confirm N | review N");
	if (strcmp(o.pos[0], "start") == 0) {
		rep = call(req_new("handover.start"));
		check(rep);
		if (opt_json)
			print_json(rep);
		else
			print_sheet(rep);
		json_decref(rep);
		return 0;
	}
	if (strcmp(o.pos[0], "confirm") == 0 || strcmp(o.pos[0], "review") == 0) {
		bool review = strcmp(o.pos[0], "review") == 0;

		req = req_new(review ? "handover.review" : "handover.confirm");
		json_object_set_new(req, "handover", json_integer(need_int(need_pos(&o, 1, "N"), "N")));
		return simple(req, review ? "handover reviewed and signed:" : "handover confirmed:",
			      "handover");
	}
	die_usage("usage: keycab handover start | confirm N | review N");
}

static int cmd_alarm(int argc, char **argv)
{
	struct opts o;
	json_t *req;

	parse_opts(&o, argc, argv, "note=,");
	if (o.npos < 2 || strcmp(o.pos[0], "clear") != 0)
		die_usage("usage: keycab alarm clear N --note TEXT");
	req = req_new("alarm.clear");
	json_object_set_new(req, "alarm", json_integer(need_int(o.pos[1], "N")));
	set_opt_str(req, &o, "note", "note");
	return simple(req, "alarm cleared", NULL);
}

static int cmd_import(int argc, char **argv)
{
	struct opts o;
	json_t *req, *rows, *rep, *rej, *v;
	char err[512];
	size_t i;

	parse_opts(&o, argc, argv, "");
	if (o.npos != 2)
		die_usage("usage: keycab import sites|units|owners|keys FILE.csv");
	rows = kc_csv_read(o.pos[1], err, sizeof(err));
	if (!rows)
		die("%s", err);
	req = json_pack("{s:s, s:s, s:o}", "op", "import", "table", o.pos[0], "rows", rows);
	rep = call(req);
	check(rep);
	rej = json_object_get(rep, "rejected");
	if (opt_json) {
		print_json(rep);
	} else {
		printf("%s: %lld %s added, %zu rejected\n", o.pos[1],
		       (long long)json_integer_value(json_object_get(rep, "added")), o.pos[0],
		       json_array_size(rej));
		json_array_foreach(rej, i, v)
			printf("  %s:%lld: %s\n", o.pos[1],
			       (long long)json_integer_value(json_object_get(v, "line")),
			       json_string_value(json_object_get(v, "reason")));
	}
	i = json_array_size(rej);
	json_decref(rep);
	/* Rejected rows are a partial failure the operator must see. */
	return i > 0 ? 1 : 0;
}

static int cmd_person(int argc, char **argv)
{
	struct opts o;
	json_t *req;

	parse_opts(&o, argc, argv, "name=,role=,phone=,pin-stdin,card-stdin,");
	if (o.npos != 2 || strcmp(o.pos[0], "add") != 0)
		die_usage("usage: keycab person add CODE --name NAME --role ROLE [--pin-stdin] [--card-stdin]");
	req = req_new("person.add");
	json_object_set_new(req, "code", json_string(o.pos[1]));
	set_opt_str(req, &o, "name", "name");
	set_opt_str(req, &o, "role", "role");
	set_opt_str(req, &o, "phone", "phone");
	if (opt(&o, "pin-stdin") || !opt(&o, "card-stdin"))
		json_object_set_new(req, "pin",
				    json_string(read_secret("new PIN", opt(&o, "pin-stdin") != NULL)));
	if (opt(&o, "card-stdin"))
		json_object_set_new(req, "card", json_string(read_secret("card", true)));
	return simple(req, "person added", NULL);
}

static int cmd_entrust(int argc, char **argv)
{
	struct opts o;
	json_t *req = req_new("entrust");

	parse_opts(&o, argc, argv, "owner=,start=,end=,");
	json_object_set_new(req, "key", json_string(need_pos(&o, 0, "the key's code")));
	set_opt_str(req, &o, "owner", "owner");
	set_opt_time(req, &o, "start", "start");
	set_opt_time(req, &o, "end", "end");
	return simple(req, "entrustment registered:", "entrustment");
}

static int cmd_letter(int argc, char **argv)
{
	struct opts o;
	json_t *req;

	parse_opts(&o, argc, argv, "borrower=,id-type=,id-stdin,from=,to=,ref=,channel=,at=,");
	if (o.npos == 2 && strcmp(o.pos[0], "file") == 0) {
		req = req_new("letter.file");
		json_object_set_new(req, "entrustment", json_integer(need_int(o.pos[1], "ENTRUSTMENT")));
		set_opt_str(req, &o, "borrower", "borrower");
		set_opt_str(req, &o, "id-type", "id_type");
		set_opt_time(req, &o, "from", "valid_from");
		set_opt_time(req, &o, "to", "valid_to");
		set_opt_str(req, &o, "ref", "reference");
		json_object_set_new(req, "id_number",
				    json_string(read_secret("borrower's ID number",
							    opt(&o, "id-stdin") != NULL)));
		return simple(req, "letter filed:", "letter");
	}
	if (o.npos == 2 && strcmp(o.pos[0], "confirm") == 0) {
		req = req_new("letter.confirm");
		json_object_set_new(req, "letter", json_integer(need_int(o.pos[1], "LETTER")));
		set_opt_str(req, &o, "channel", "channel");
		set_opt_time(req, &o, "at", "at");
		return simple(req, "letter confirmed with the owner:", "letter");
	}
	die_usage("usage: keycab letter file ENTRUSTMENT ... | letter confirm LETTER --channel C");
}

static int cmd_unit(int argc, char **argv)
{
	struct opts o;
	json_t *req;
	bool v;

	parse_opts(&o, argc, argv, "");
	if (o.npos != 3 || strcmp(o.pos[0], "vacant") != 0 || kc_parse_bool(o.pos[2], &v) < 0)
		die_usage("usage: keycab unit vacant UNIT yes|no");
	req = req_new("unit.vacancy");
	json_object_set_new(req, "unit", json_string(o.pos[1]));
	json_object_set_new(req, "vacant", json_boolean(v));
	return simple(req, "unit vacancy recorded", NULL);
}

static int cmd_test_clock(int argc, char **argv)
{
	struct opts o;
	json_t *req = req_new("test.clock"), *rep;
	char now[64];
	long long s;

	parse_opts(&o, argc, argv, "");
	if (o.npos != 2 || strcmp(o.pos[0], "advance") != 0 ||
	    kc_parse_long(o.pos[1], 0, 10LL * 365 * 86400, &s) < 0)
		die_usage("usage: keycab test-clock advance SECONDS");
	json_object_set_new(req, "advance_s", json_integer(s));
	rep = call(req);
	check(rep);
	cell(now, sizeof(now), "now", json_object_get(rep, "now"));
	printf("test clock now %s (offset %lld s)\n", now,
	       (long long)json_integer_value(json_object_get(rep, "offset_s")));
	json_decref(rep);
	return 0;
}

/* The reads: op name = command name, the reply's list under the same name. */
static int cmd_read(const char *cmd, int argc, char **argv)
{
	static const struct {
		const char *cmd, *member, *empty;
	} reads[] = {
		{ "keys", "keys", "no keys" },
		{ "slots", "slots", "no slots" },
		{ "loans", "loans", "no loans open" },
		{ "ids", "ids", "no IDs held" },
		{ "alarms", "alarms", "no open alarms" },
		{ "entrustments", "entrustments", "no entrustments" },
		{ "letters", "letters", "no letters" },
		{ "people", "people", "nobody on the roll" },
		{ "handovers", "handovers", "no handovers" },
		{ "notices", "notices", "no notices" },
		{ "approvals", "approvals", "no approvals" },
	};
	struct opts o;
	json_t *req, *rep;

	parse_opts(&o, argc, argv, "all,");
	for (size_t i = 0; i < KC_ARRAY_SIZE(reads); i++) {
		if (strcmp(cmd, reads[i].cmd) != 0)
			continue;
		req = req_new(cmd);
		if (opt(&o, "all"))
			json_object_set_new(req, "all", json_true());
		rep = call(req);
		check(rep);
		if (opt_json)
			print_json(rep);
		else
			print_table(json_object_get(rep, reads[i].member), reads[i].empty);
		json_decref(rep);
		return 0;
	}
	if (strcmp(cmd, "status") == 0) {
		rep = call(req_new("status"));
		check(rep);
		if (opt_json) {
			print_json(rep);
		} else {
			printf("cabinet %s: %lld open alarms, %lld IDs held, last event %lld\n",
			       json_string_value(json_object_get(rep, "cabinet")),
			       (long long)json_integer_value(json_object_get(rep, "open_alarms")),
			       (long long)json_integer_value(json_object_get(rep, "ids_held")),
			       (long long)json_integer_value(json_object_get(rep, "last_seq")));
			if (json_is_object(json_object_get(rep, "forward"))) {
				json_t *f = json_object_get(rep, "forward");

				printf("audit link: %s%s%s; %lld pending, last acknowledged %lld%s%s\n",
				       json_string_value(json_object_get(f, "state")),
				       json_string_length(json_object_get(f, "reason")) ? " " : "",
				       json_string_value(json_object_get(f, "reason")),
				       (long long)json_integer_value(json_object_get(f, "pending")),
				       (long long)json_integer_value(json_object_get(f, "last_acked_seq")),
				       json_string_length(json_object_get(f, "last_error")) ? "; last error: " : "",
				       json_string_value(json_object_get(f, "last_error")));
			}
			printf("-- keys --\n");
			print_table(json_object_get(rep, "keys"), "no keys");
			printf("-- slots --\n");
			print_table(json_object_get(rep, "slots"), "no slots");
			if (json_array_size(json_object_get(rep, "inspections_pending")) > 0) {
				printf("-- inspections to record (keycab inspect LOAN --result ...) --\n");
				print_table(json_object_get(rep, "inspections_pending"), "");
			}
		}
		json_decref(rep);
		return 0;
	}
	die_usage("unknown command \"%s\"", cmd);
}

int main(int argc, char **argv)
{
	const char *cmd;
	int i = 1;

	socket_path = getenv("KEYCAB_SOCKET");
	if (!socket_path || !*socket_path)
		socket_path = "/run/keycabd/keycabd.sock";
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--json") == 0)
			opt_json = true;
		else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			socket_path = argv[++i];
		else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else
			die_usage("unknown option %s", argv[i]);
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[i++];
	argc -= i;
	argv += i;
	if (strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "login") == 0)
		return cmd_login(argc, argv);
	if (strcmp(cmd, "logout") == 0)
		return cmd_logout(argc, argv);
	if (strcmp(cmd, "whoami") == 0 || strcmp(cmd, "ping") == 0) {
		struct opts o;
		json_t *rep;

		parse_opts(&o, argc, argv, "");
		rep = call(req_new(cmd));
		check(rep);
		if (opt_json || strcmp(cmd, "whoami") == 0)
			print_json(rep);
		else
			printf("keycabd answers\n");
		json_decref(rep);
		return 0;
	}
	if (strcmp(cmd, "release") == 0)
		return cmd_release(argc, argv);
	if (strcmp(cmd, "collect") == 0)
		return cmd_collect(argc, argv);
	if (strcmp(cmd, "approve") == 0)
		return cmd_approve(argc, argv);
	if (strcmp(cmd, "id") == 0)
		return cmd_id(argc, argv);
	if (strcmp(cmd, "inspect") == 0)
		return cmd_inspect(argc, argv);
	if (strcmp(cmd, "handover") == 0)
		return cmd_handover(argc, argv);
	if (strcmp(cmd, "alarm") == 0)
		return cmd_alarm(argc, argv);
	if (strcmp(cmd, "import") == 0)
		return cmd_import(argc, argv);
	if (strcmp(cmd, "person") == 0)
		return cmd_person(argc, argv);
	if (strcmp(cmd, "entrust") == 0)
		return cmd_entrust(argc, argv);
	if (strcmp(cmd, "letter") == 0)
		return cmd_letter(argc, argv);
	if (strcmp(cmd, "unit") == 0)
		return cmd_unit(argc, argv);
	if (strcmp(cmd, "test-clock") == 0)
		return cmd_test_clock(argc, argv);
	return cmd_read(cmd, argc, argv);
}
