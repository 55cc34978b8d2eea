/* What the C benchmarks share: a monotonic clock in milliseconds and a
 * comparison of doubles for qsort (medians). */
#ifndef KC_BENCH_BENCH_H
#define KC_BENCH_BENCH_H
#include <time.h>

static inline double ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static inline int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#endif
