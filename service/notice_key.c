#include "service/notice_key.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KC_NOTICE_KEYS_MAX 32
#define SEALED_MAX 256 /* bytes of a sealed number */
#define B64 sodium_base64_VARIANT_ORIGINAL

struct pair {
	unsigned char pk[crypto_box_PUBLICKEYBYTES];
	unsigned char sk[crypto_box_SECRETKEYBYTES];
};

struct kc_notice_keys {
	int n;
	struct pair *pairs; /* sodium_allocarray: locked, wiped when freed */
};

static int check_mode(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "%s: others may read it (mode %04o): chmod 600, owned by keyauditd's user",
			 path, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

int kc_notice_key_new(const char *path, char pub[KC_NOTICE_PUB_B64], char *err, size_t errlen)
{
	struct pair *p = sodium_malloc(sizeof(*p));
	char *line = sodium_malloc(256);
	int fd = -1, r = -ENOMEM;
	size_t n;

	if (!p || !line) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	r = check_mode(fd, path, err, errlen);
	if (r < 0)
		goto out;
	crypto_box_keypair(p->pk, p->sk);
	sodium_bin2base64(pub, KC_NOTICE_PUB_B64, p->pk, sizeof(p->pk), B64);
	/* "PUBLIC SECRET\n" */
	n = (size_t)snprintf(line, 256, "%s ", pub);
	sodium_bin2base64(line + n, 256 - n, p->sk, sizeof(p->sk), B64);
	n = strlen(line);
	line[n++] = '\n';
	if (write(fd, line, n) != (ssize_t)n || fsync(fd) < 0) {
		r = -EIO;
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	sodium_free(line);
	sodium_free(p);
	return r;
}

struct kc_notice_keys *kc_notice_keys_load(const char *path, char *err, size_t errlen)
{
	struct kc_notice_keys *k = calloc(1, sizeof(*k));
	char *buf = sodium_malloc(512);
	FILE *f = NULL;
	int fd, ln = 0;

	if (!k || !buf)
		goto oom;
	k->pairs = sodium_allocarray(KC_NOTICE_KEYS_MAX, sizeof(struct pair));
	if (!k->pairs)
		goto oom;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s (keyauditd notice-key new makes one)", path, strerror(errno));
		goto fail;
	}
	if (check_mode(fd, path, err, errlen) < 0) {
		close(fd);
		goto fail;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		goto oom;
	}
	while (fgets(buf, 512, f)) {
		char *sp = strchr(buf, ' ');
		size_t pl, sl;

		ln++;
		buf[strcspn(buf, "\r\n")] = '\0';
		if (!buf[0] || buf[0] == '#')
			continue;
		if (k->n == KC_NOTICE_KEYS_MAX) {
			snprintf(err, errlen, "%s:%d: more than %d keys", path, ln, KC_NOTICE_KEYS_MAX);
			goto fail;
		}
		if (!sp || sodium_base642bin(k->pairs[k->n].pk, crypto_box_PUBLICKEYBYTES, buf,
					     (size_t)(sp - buf), NULL, &pl, NULL, B64) < 0 ||
		    sodium_base642bin(k->pairs[k->n].sk, crypto_box_SECRETKEYBYTES, sp + 1, strlen(sp + 1), NULL,
				      &sl, NULL, B64) < 0 ||
		    pl != crypto_box_PUBLICKEYBYTES || sl != crypto_box_SECRETKEYBYTES) {
			snprintf(err, errlen, "%s:%d: expected \"PUBLIC SECRET\" in base64", path, ln);
			goto fail;
		}
		k->n++;
	}
	fclose(f);
	sodium_free(buf);
	return k;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	if (f)
		fclose(f);
	sodium_free(buf);
	kc_notice_keys_free(k);
	return NULL;
}

int kc_notice_keys_open(const struct kc_notice_keys *k, const char *sealed_b64, char *out, size_t len)
{
	unsigned char sealed[SEALED_MAX];
	size_t n;

	if (!k || !sealed_b64 ||
	    sodium_base642bin(sealed, sizeof(sealed), sealed_b64, strlen(sealed_b64), NULL, &n, NULL, B64) < 0 ||
	    n <= crypto_box_SEALBYTES || n - crypto_box_SEALBYTES >= len)
		return -EINVAL;
	for (int i = k->n - 1; i >= 0; i--)
		if (crypto_box_seal_open((unsigned char *)out, sealed, n, k->pairs[i].pk, k->pairs[i].sk) == 0) {
			out[n - crypto_box_SEALBYTES] = '\0';
			return 0;
		}
	return -ENOKEY;
}

int kc_notice_keys_public(const struct kc_notice_keys *k, unsigned char *pk)
{
	if (!k || k->n == 0)
		return -ENOKEY;
	memcpy(pk, k->pairs[k->n - 1].pk, crypto_box_PUBLICKEYBYTES);
	return 0;
}

void kc_notice_keys_free(struct kc_notice_keys *k)
{
	if (!k)
		return;
	sodium_free(k->pairs);
	free(k);
}
