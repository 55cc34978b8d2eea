/* keycab-kiosk's pinyin lookups alone (controller/kiosk/pinyin.c), no
 * HTTP, no browser: the time to load Debian's luna_pinyin dictionary, and
 * a lookup of each start of each pinyin a desk types (as the keyboard
 * asks at each letter), p50 and p99 over many rounds; beside the same
 * number of lookups of one syllable known whole ("wei"), the cheapest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "controller/kiosk/pinyin.h"

#define DICT "/usr/share/rime-data/build/luna_pinyin.table.txt"
#define ROUNDS 50

static const char *const words[] = { "weishengjian", "loushui", "menchuang", "zhangwei", "xiaoqu", "yaoshi",
				     "dianti", "shuibiao", "chufang", "qiangmian", "shenqing", "weixiu",
				     "kongtiao", "menjin", "tingchechang", "guanliyuan", "xianxianxian" };

static void report(const char *what, double *t, size_t n)
{
	qsort(t, n, sizeof(*t), cmp_d);
	printf("| %s | %zu | %.3f | %.3f | %.3f |\n", what, n, t[n / 2] * 1000, t[n * 99 / 100] * 1000,
	       t[n - 1] * 1000);
}

int main(void)
{
	struct kiosk_pinyin *d;
	struct kiosk_pinyin_cand c[60];
	char err[256], q[64];
	size_t n = 0, cap = ROUNDS * 200;
	double t0 = ms_now(), *lk = malloc(cap * sizeof(double)), *base = malloc(cap * sizeof(double));

	if (!lk || !base || kiosk_pinyin_load(DICT, &d, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", lk && base ? err : "out of memory");
		return 1;
	}
	printf("luna_pinyin: %zu words, %zu bytes, loaded in %.0f ms\n", kiosk_pinyin_words(d), kiosk_pinyin_bytes(d),
	       ms_now() - t0);
	for (int r = 0; r < ROUNDS; r++)
		for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
			for (size_t l = 1; l <= strlen(words[w]) && n < cap; l++) {
				double a;

				memcpy(q, words[w], l);
				q[l] = '\0';
				a = ms_now();
				if (kiosk_pinyin_lookup(d, q, c, 60) <= 0) {
					fprintf(stderr, "no word for %s\n", q);
					return 1;
				}
				lk[n] = ms_now() - a;
				a = ms_now();
				kiosk_pinyin_lookup(d, "wei", c, 60);
				base[n++] = ms_now() - a;
			}
	printf("| lookup, us | lookups | p50 | p99 | max |\n|---|---|---|---|---|\n");
	report("baseline: \"wei\" (one syllable, whole)", base, n);
	report("each start of the desk's pinyin (w, we, wei, ... weishengjian)", lk, n);
	kiosk_pinyin_free(d);
	free(lk);
	free(base);
	return 0;
}
