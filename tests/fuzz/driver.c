/* The regression half of each fuzz harness: replays every file of
 * tests/fuzz/corpus/<target>/ (seeds, minimised interesting inputs, and
 * every crash once found and fixed) through LLVMFuzzerTestOneInput, in
 * the normal build and under SANITIZE=1, where any ASan/UBSan report
 * aborts the run. The target is the program's name without "t-fuzz-";
 * files or directories given as arguments replace the corpus (for
 * reproducing a crash by hand). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "tests/fuzz/fuzz.h"

#define FZ_MAX_INPUT (1 << 20) /* as `make fuzz` runs with -max_len well below */

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	buf = malloc(FZ_MAX_INPUT);
	if (!buf) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, FZ_MAX_INPUT, f);
	fclose(f);
	/* a fresh allocation of exactly the input's size, as libFuzzer
	 * gives it, so that ASan sees a read past the end */
	uint8_t *in = malloc(n ? n : 1);

	if (!in) {
		free(buf);
		return -1;
	}
	memcpy(in, buf, n);
	free(buf);
	printf("input %s (%zu bytes)\n", path, n);
	fflush(stdout);
	LLVMFuzzerTestOneInput(in, n);
	free(in);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir, in name order; -1 when the directory cannot
 * be read, otherwise the number of inputs run. */
static int run_dir(const char *dir)
{
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0;
	struct dirent *de;
	int count = 0;
	DIR *d = opendir(dir);

	if (!d) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		struct stat sb;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
			continue;
		if (n == cap) {
			char **g = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*g));

			if (!g)
				abort();
			names = g;
		}
		names[n] = strdup(de->d_name);
		if (!names[n++])
			abort();
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (run_file(path) == 0)
			count++;
		free(names[i]);
	}
	free(names);
	return count;
}

int main(int argc, char **argv)
{
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	const char *src = getenv("KEYCAB_SRC");
	struct timespec t0, t1;
	char dir[4096];
	int total = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (argc > 1) {
		for (int i = 1; i < argc; i++) {
			struct stat sb;
			int r;

			if (stat(argv[i], &sb) < 0) {
				fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
				return 1;
			}
			r = S_ISDIR(sb.st_mode) ? run_dir(argv[i]) : run_file(argv[i]) == 0;
			if (r < 0)
				return 1;
			total += r;
		}
	} else {
		if (strncmp(prog, "t-fuzz-", 7) != 0) {
			fprintf(stderr, "%s: cannot tell the target (the name is not t-fuzz-TARGET)\n",
				prog);
			return 1;
		}
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", src ? src : ".", prog + 7);
		printf("replaying the corpus %s through the %s harness\n", dir, prog + 7);
		total = run_dir(dir);
		if (total < 0)
			return 1;
		if (total == 0) {
			fprintf(stderr, "%s: an empty corpus tests nothing\n", dir);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%d inputs, no crash and no sanitizer report, in %.2f s\n", total,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
