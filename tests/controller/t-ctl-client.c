/* Unit tests of libkcclient (controller/client/) against a real unix
 * socket peer in a thread: replies that come in pieces or two in one read,
 * a peer that closes, an answer that is no JSON; secrets from stdin and
 * wiped from a request; desk time in a zone a ping reply names. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "controller/client/client.h"

/* The peer: accepts one connection, reads one line, writes `answer` in
 * pieces of `piece` bytes (all at once for 0), closes. */
struct peer {
	int lfd;
	const char *answer;
	size_t piece;
	char got[512];
};

static void *peer_run(void *arg)
{
	struct peer *p = arg;
	int fd = accept(p->lfd, NULL, NULL);
	size_t n = 0, len = strlen(p->answer);

	while (n < sizeof(p->got) - 1 && read(fd, p->got + n, 1) == 1 && p->got[n] != '\n')
		n++;
	p->got[n] = '\0';
	for (size_t off = 0; off < len;) {
		size_t k = p->piece && len - off > p->piece ? p->piece : len - off;

		assert_int_equal(write(fd, p->answer + off, k), (ssize_t)k);
		off += k;
		usleep(1000);
	}
	close(fd);
	return NULL;
}

static void peer_start(struct peer *p, pthread_t *t, char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(path, 64, "/tmp/t-ctl-client.%d.sock", (int)getpid());
	unlink(path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	p->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(p->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(p->lfd, 1), 0);
	assert_int_equal(pthread_create(t, NULL, peer_run, p), 0);
}

static void peer_end(struct peer *p, pthread_t t, const char *path)
{
	pthread_join(t, NULL);
	close(p->lfd);
	unlink(path);
}

static void test_call(void **state)
{
	struct peer p = { .answer = "{\"ok\": true, \"n\": 1}\n{\"ok\": true, \"n\": 2}\n" };
	json_t *req = json_pack("{s:s, s:s}", "op", "ping", "pin", "1234"), *rep = NULL;
	struct kc_client c;
	char path[64], err[256];
	pthread_t t;

	(void)state;
	peer_start(&p, &t, path);
	assert_int_equal(kc_client_open(&c, path), 0);
	assert_int_equal(kc_client_call(&c, req, &rep, err, sizeof(err)), 0);
	assert_int_equal(json_integer_value(json_object_get(rep, "n")), 1);
	json_decref(rep);
	/* the second reply (in the same read, most likely): the next one */
	assert_int_equal(kc_client_recv(&c, &rep, err, sizeof(err)), 0);
	assert_int_equal(json_integer_value(json_object_get(rep, "n")), 2);
	json_decref(rep);
	rep = NULL;
	assert_int_equal(kc_client_recv(&c, &rep, err, sizeof(err)), -EIO);
	assert_null(rep);
	peer_end(&p, t, path);
	assert_string_equal(p.got, "{\"op\":\"ping\",\"pin\":\"1234\"}");
	kc_secret_wipe_request(req);
	assert_int_equal(json_string_length(json_object_get(req, "pin")), 4);
	assert_memory_equal(json_string_value(json_object_get(req, "pin")), "\0\0\0\0", 4);
	assert_string_equal(json_string_value(json_object_get(req, "op")), "ping");
	json_decref(req);
	kc_client_close(&c);
}

static void call_fails(const char *answer, const char *why)
{
	struct peer p = { .answer = answer };
	json_t *req = json_pack("{s:s}", "op", "ping"), *rep = NULL;
	struct kc_client c;
	char path[64], err[256] = "";
	pthread_t t;

	peer_start(&p, &t, path);
	assert_int_equal(kc_client_open(&c, path), 0);
	assert_int_equal(kc_client_call(&c, req, &rep, err, sizeof(err)), -EIO);
	assert_null(rep);
	assert_non_null(strstr(err, why));
	peer_end(&p, t, path);
	kc_client_close(&c);
	json_decref(req);
}

/* A reply in pieces, its line end last. */
static void test_call_pieces(void **state)
{
	struct peer p = { .answer = "{\"ok\": true, \"text\": \"王芳 Wang Fang\"}\n", .piece = 3 };
	json_t *req = json_pack("{s:s}", "op", "people"), *rep = NULL;
	struct kc_client c;
	char path[64], err[256];
	pthread_t t;

	(void)state;
	peer_start(&p, &t, path);
	assert_int_equal(kc_client_open(&c, path), 0);
	assert_int_equal(kc_client_call(&c, req, &rep, err, sizeof(err)), 0);
	assert_string_equal(json_string_value(json_object_get(rep, "text")), "王芳 Wang Fang");
	peer_end(&p, t, path);
	json_decref(rep);
	json_decref(req);
	kc_client_close(&c);
}

static void test_call_fails(void **state)
{
	char path[64];
	struct kc_client c;

	(void)state;
	call_fails("", "keycabd closed the connection without an answer");
	call_fails("{\"ok\":", "keycabd's answer is not JSON: ");
	call_fails("not json\n", "keycabd's answer is not JSON: ");
	call_fails("[1, 2]\n", "keycabd's answer is not JSON");
	snprintf(path, sizeof(path), "/tmp/t-ctl-client.%d.none", (int)getpid());
	assert_int_equal(kc_client_open(&c, path), -ENOENT);
}

static void test_secret_stdin(void **state)
{
	char buf[KC_SECRET_LEN];
	FILE *f = tmpfile();

	(void)state;
	fputs("4321\r\nsecond\n", f);
	rewind(f);
	assert_int_equal(dup2(fileno(f), STDIN_FILENO), STDIN_FILENO);
	assert_int_equal(kc_secret_read("PIN", true, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "4321");
	assert_int_equal(kc_secret_read("PIN", true, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "second");
	assert_int_equal(kc_secret_read("PIN", true, buf, sizeof(buf)), -ENODATA);
	fclose(f);
}

static void test_desktime(void **state)
{
	json_t *ping = json_pack("{s:b, s:s}", "ok", 1, "time_zone", "Asia/Shanghai");
	json_t *mars = json_pack("{s:b, s:s}", "ok", 1, "time_zone", "Mars/Olympus_Mons");
	const char *zone;
	char out[64];
	int64_t ms;

	(void)state;
	assert_int_equal(kc_desktime_zone(ping, &zone), 0);
	assert_string_equal(zone, "Asia/Shanghai");
	assert_false(kc_desktime_parse("2026-11-30", &ms));
	assert_false(kc_desktime_parse("2026-11-29T16:00:00Z", &ms));
	/* 2026-11-30 00:00 in Shanghai */
	assert_true(kc_desktime_parse("2026-11-29T16:00:00.000Z", &ms));
	kc_desktime_format("start", ms, out, sizeof(out));
	assert_string_equal(out, "2026-11-30");
	kc_desktime_format("valid_to", ms, out, sizeof(out));
	assert_string_equal(out, "2026-11-29");
	kc_desktime_format("due", ms, out, sizeof(out));
	assert_string_equal(out, "2026-11-30 00:00");
	assert_true(kc_desktime_zone(mars, &zone) < 0);
	assert_string_equal(zone, "Mars/Olympus_Mons");
	kc_desktime_format("due", ms, out, sizeof(out));
	assert_string_equal(out, "2026-11-29 16:00");
	json_decref(ping);
	json_decref(mars);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_call),
		cmocka_unit_test(test_call_pieces),
		cmocka_unit_test(test_call_fails),
		cmocka_unit_test(test_secret_stdin),
		cmocka_unit_test(test_desktime),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
