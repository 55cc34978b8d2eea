#include "common/sharedkey.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool key_char(char c)
{
	return c > ' ' && c < 0x7f;
}

static bool space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The key in buf (n bytes read): white space around it dropped, checked,
 * moved to out. */
static int key_take(const char *path, char *buf, size_t n, char *out, char *err, size_t errlen)
{
	size_t start = 0, end = n;

	while (start < end && space(buf[start]))
		start++;
	while (end > start && space(buf[end - 1]))
		end--;
	for (size_t i = start; i < end; i++)
		if (!key_char(buf[i])) {
			snprintf(err, errlen,
				 "%s: the key must be one line of printable characters without spaces "
				 "(e.g. head -c 32 /dev/urandom | base64); character %zu is not",
				 path, i - start + 1);
			return -EINVAL;
		}
	if (end - start < KC_SHARED_KEY_MIN || end - start > KC_SHARED_KEY_MAX) {
		snprintf(err, errlen,
			 "%s: the key is %zu characters long; it must be %d to %d (e.g. head -c 32 "
			 "/dev/urandom | base64)",
			 path, end - start, KC_SHARED_KEY_MIN, KC_SHARED_KEY_MAX);
		return -EINVAL;
	}
	memcpy(out, buf + start, end - start);
	out[end - start] = '\0';
	return 0;
}

static int key_fd_read(int fd, const char *path, char *out, char *err, size_t errlen)
{
	char buf[KC_SHARED_KEY_MAX + 64];
	struct stat sb;
	size_t n = 0;
	ssize_t r;
	int rc;

	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -EINVAL;
	}
	if (sb.st_mode & 027) {
		snprintf(err, errlen,
			 "%s: others may read it or its group may write it (mode %04o): chmod 640, "
			 "or 600 with a copy for each program (a systemd credential)",
			 path, (unsigned)(sb.st_mode & 07777));
		return -EPERM;
	}
	while (n < sizeof(buf)) {
		r = read(fd, buf + n, sizeof(buf) - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			snprintf(err, errlen, "%s: cannot read it: %s", path, strerror(-rc));
			sodium_memzero(buf, sizeof(buf));
			return rc;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n == sizeof(buf)) {
		snprintf(err, errlen, "%s: longer than a key (%d characters at most)", path,
			 KC_SHARED_KEY_MAX);
		rc = -EINVAL;
	} else
		rc = key_take(path, buf, n, out, err, errlen);
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

int kc_shared_key_read(const char *path, char out[KC_SHARED_KEY_MAX + 1], char *err,
		       size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), r;

	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: cannot open it: %s", path, strerror(-r));
		return r;
	}
	r = key_fd_read(fd, path, out, err, errlen);
	close(fd);
	return r;
}

void kc_shared_key_digest(const char *key, size_t len, unsigned char out[KC_SHARED_KEY_DIGEST])
{
	crypto_generichash(out, KC_SHARED_KEY_DIGEST, (const unsigned char *)key, len, NULL, 0);
}

bool kc_shared_key_matches(const unsigned char want[KC_SHARED_KEY_DIGEST], const char *key,
			   size_t len)
{
	unsigned char d[KC_SHARED_KEY_DIGEST];
	bool ok;

	kc_shared_key_digest(key, len, d);
	ok = sodium_memcmp(d, want, sizeof(d)) == 0;
	sodium_memzero(d, sizeof(d));
	return ok;
}

bool kc_shared_key_take(const unsigned char *want, char *key, size_t len)
{
	bool ok = want && kc_shared_key_matches(want, key, len);

	sodium_memzero(key, len);
	return ok;
}
