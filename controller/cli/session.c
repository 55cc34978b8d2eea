/* The session of the operator at this shell: $KEYCAB_SESSION, or a 0600
 * file in $XDG_RUNTIME_DIR/keycab/ (/tmp/keycab-UID/ without it). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controller/cli/cli.h"

void cli_session_path(char *out, size_t len, bool make_dir)
{
	const char *rt = getenv("XDG_RUNTIME_DIR");
	char dir[256];

	if (rt && *rt)
		snprintf(dir, sizeof(dir), "%s/keycab", rt);
	else
		snprintf(dir, sizeof(dir), "/tmp/keycab-%u", (unsigned)getuid());
	if (make_dir && mkdir(dir, 0700) < 0 && errno != EEXIST)
		cli_die("%s: %s", dir, strerror(errno));
	snprintf(out, len, "%s/session", dir);
}

const char *cli_session_token(void)
{
	static char tok[128];
	const char *env = getenv("KEYCAB_SESSION");
	char path[300];
	struct stat sb;
	FILE *f;

	if (env && *env)
		return env;
	cli_session_path(path, sizeof(path), false);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	/* Someone else's or a readable session file is not ours to use. */
	if (fstat(fileno(f), &sb) < 0 || sb.st_uid != getuid() || (sb.st_mode & 077)) {
		fclose(f);
		cli_die("%s: must be a 0600 file of yours; remove it and log in again", path);
	}
	if (!fgets(tok, sizeof(tok), f))
		tok[0] = '\0';
	fclose(f);
	tok[strcspn(tok, "\r\n")] = '\0';
	return tok[0] ? tok : NULL;
}

void cli_session_save(const char *token)
{
	char path[300];
	FILE *f;
	int fd;

	cli_session_path(path, sizeof(path), true);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || fchmod(fd, 0600) < 0 || !(f = fdopen(fd, "w")))
		cli_die("%s: %s", path, strerror(errno));
	fprintf(f, "%s\n", token);
	fclose(f);
}
