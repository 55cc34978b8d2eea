/* The server's certificate chain and key: read from their PEM files
 * ([server] tls_cert, tls_key), checked (PEM, the key is the
 * certificate's), and handed to each TLS handshake by the certificate
 * callback. Reference counted: the server holds the one it serves, each
 * connection the one its handshake used, so a reload (SIGHUP) frees an
 * old one only once no connection uses it. */
#include "service/http_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

#define PEM_MAX (1 << 20)
#define CHAIN_MAX 16

struct http_tls {
	atomic_int refs;
	unsigned n;			/* certificates in chain, the server's first */
	gnutls_pcert_st chain[CHAIN_MAX];
	gnutls_privkey_t key;
	char about[320];		/* the certificate's subject and validity */
};

/* The whole of a PEM file (what names the [server] key). */
static int tls_file(const char *key, const char *path, const char *marker, char **out, size_t *outlen, char *err,
		    size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	char *buf;
	ssize_t n;

	if (fd < 0) {
		snprintf(err, errlen, "[server] %s %s: %s", key, path, strerror(errno));
		return -errno;
	}
	buf = malloc(PEM_MAX + 1);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	while (len < PEM_MAX && (n = read(fd, buf + len, PEM_MAX - len)) != 0) {
		if (n < 0) {
			int e = errno;

			snprintf(err, errlen, "[server] %s %s: %s", key, path, strerror(e));
			close(fd);
			free(buf);
			return -e;
		}
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (!strstr(buf, "-----BEGIN ") || !strstr(buf, marker)) {
		snprintf(err, errlen, "[server] %s %s: no PEM %s in it", key, path, marker);
		explicit_bzero(buf, len);
		free(buf);
		return -EINVAL;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

static void tls_free(struct http_tls *t)
{
	for (unsigned i = 0; i < t->n; i++)
		gnutls_pcert_deinit(&t->chain[i]);
	if (t->key)
		gnutls_privkey_deinit(t->key);
	free(t);
}

/* "CN=audit.example.org, valid 2026-11-01 00:00 to 2027-01-30 00:00 UTC"
 * into t->about; whether the certificate is valid now. */
static bool tls_about(struct http_tls *t)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t dn = { NULL, 0 };
	char from[32] = "?", to[32] = "?";
	time_t a = 0, b = 0, now = time(NULL);
	struct tm tm;

	if (gnutls_x509_crt_init(&crt) < 0)
		return true;
	if (gnutls_x509_crt_import(crt, &t->chain[0].cert, GNUTLS_X509_FMT_DER) == 0) {
		gnutls_x509_crt_get_dn3(crt, &dn, 0);
		a = gnutls_x509_crt_get_activation_time(crt);
		b = gnutls_x509_crt_get_expiration_time(crt);
		if (a != (time_t)-1 && gmtime_r(&a, &tm))
			strftime(from, sizeof(from), "%Y-%m-%d %H:%M", &tm);
		if (b != (time_t)-1 && gmtime_r(&b, &tm))
			strftime(to, sizeof(to), "%Y-%m-%d %H:%M", &tm);
	}
	snprintf(t->about, sizeof(t->about), "%.200s, valid %s to %s UTC", dn.data ? (const char *)dn.data : "?",
		 from, to);
	gnutls_free(dn.data);
	gnutls_x509_crt_deinit(crt);
	return now >= a && now < b;
}

/* The key is the certificate's, as GnuTLS itself checks it: 0 or a
 * GnuTLS error. */
static int tls_pair_check(const gnutls_datum_t *cert, const gnutls_datum_t *key)
{
	gnutls_certificate_credentials_t cred;
	int r = gnutls_certificate_allocate_credentials(&cred);

	if (r < 0)
		return r;
	r = gnutls_certificate_set_x509_key_mem(cred, cert, key, GNUTLS_X509_FMT_PEM);
	gnutls_certificate_free_credentials(cred);
	return r < 0 ? r : 0;
}

int http_tls_load(const char *cert_path, const char *key_path, struct http_tls **out, bool *valid_now, char *err,
		  size_t errlen)
{
	char *cert = NULL, *key = NULL;
	size_t cert_len = 0, key_len = 0;
	struct http_tls *t = NULL;
	gnutls_datum_t cd, kd;
	int r;

	r = tls_file("tls_cert", cert_path, "CERTIFICATE", &cert, &cert_len, err, errlen);
	if (r == 0)
		r = tls_file("tls_key", key_path, "PRIVATE KEY", &key, &key_len, err, errlen);
	if (r < 0)
		goto out;
	cd = (gnutls_datum_t){ (unsigned char *)cert, (unsigned)cert_len };
	kd = (gnutls_datum_t){ (unsigned char *)key, (unsigned)key_len };
	r = tls_pair_check(&cd, &kd);
	t = r == 0 ? calloc(1, sizeof(*t)) : NULL;
	if (r == 0 && !t)
		r = GNUTLS_E_MEMORY_ERROR;
	if (r == 0) {
		t->n = CHAIN_MAX;
		r = gnutls_pcert_list_import_x509_raw(t->chain, &t->n, &cd, GNUTLS_X509_FMT_PEM, 0);
		if (r < 0)
			t->n = 0;
	}
	if (r == 0)
		r = gnutls_privkey_init(&t->key);
	if (r == 0)
		r = gnutls_privkey_import_x509_raw(t->key, &kd, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (r < 0) {
		const char *why = gnutls_strerror(r);

		/* GnuTLS's sentence without its full stop */
		snprintf(err, errlen, "[server] tls_cert %s and tls_key %s: %.*s", cert_path, key_path,
			 (int)strcspn(why, "."), why);
		r = -EINVAL;
		goto out;
	}
	atomic_init(&t->refs, 1);
	*valid_now = tls_about(t);
	*out = t;
	t = NULL;
out:
	if (t)
		tls_free(t);
	if (key)
		explicit_bzero(key, key_len);
	free(key);
	free(cert);
	return r;
}

const char *http_tls_about(const struct http_tls *t)
{
	return t->about;
}

struct http_tls *http_tls_get(struct http_tls *t)
{
	if (t)
		atomic_fetch_add(&t->refs, 1);
	return t;
}

void http_tls_put(struct http_tls *t)
{
	if (t && atomic_fetch_sub(&t->refs, 1) == 1)
		tls_free(t);
}

void http_tls_use(struct http_tls *t, gnutls_pcert_st **chain, unsigned *n, gnutls_privkey_t *key)
{
	*chain = t->chain;
	*n = t->n;
	*key = t->key;
}
