/* Helpers the harnesses share (fuzz.h). */
#include "tests/fuzz/fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

static int memfd = -1;
static char memfd_path[64];

const char *fz_file(const void *data, size_t size)
{
	const char *p = data;
	size_t done = 0;

	if (memfd < 0) {
		memfd = memfd_create("kc-fuzz-input", MFD_CLOEXEC);
		if (memfd < 0)
			return NULL;
		snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);
	}
	if (ftruncate(memfd, 0) < 0)
		return NULL;
	while (done < size) {
		ssize_t n = pwrite(memfd, p + done, size - done, (off_t)done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		done += (size_t)n;
	}
	return memfd_path;
}

char *fz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static char tmpdir[128];

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void tmpdir_remove(void)
{
	if (tmpdir[0])
		nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *fz_tmpdir(void)
{
	struct stat sb;

	if (tmpdir[0])
		return tmpdir;
	snprintf(tmpdir, sizeof(tmpdir), "%s/kc-fuzz.XXXXXX",
		 stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) ? "/dev/shm" : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("kc-fuzz: mkdtemp");
		abort();
	}
	atexit(tmpdir_remove);
	return tmpdir;
}

int fz_copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in, out, r = 0;
	ssize_t n;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		r = -errno;
		goto close_in;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			r = -EIO;
			break;
		}
	if (n < 0)
		r = -errno;
	close(out);
close_in:
	close(in);
	return r;
}

void fz_unlink_db(const char *path)
{
	char p[512];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-journal", path);
	unlink(p);
}

int fz_verbose(void)
{
	static int v = -1;

	if (v < 0)
		v = getenv("KC_FUZZ_VERBOSE") != NULL;
	return v;
}

void fz_quiet(void)
{
	kc_log_set_level(-1);
}
