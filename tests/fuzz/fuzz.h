/* What the fuzz harnesses share (tests/fuzz/README.md). Each harness is one
 * LLVMFuzzerTestOneInput() over real keycab code; it is linked with
 * libFuzzer for `make fuzz` and with driver.c for the regression test in
 * `make check`, which replays tests/fuzz/corpus/<target>/. */
#ifndef KC_FUZZ_H
#define KC_FUZZ_H
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a file the loaders can open by name: /proc/self/fd/N of a
 * memfd (no disk churn). The memfd is made once and rewritten for each
 * input; the path stays valid for the life of the process. NULL on
 * failure (the harness then skips the input). */
const char *fz_file(const void *data, size_t size);

/* A NUL-terminated copy of the input; abort()s when out of memory. */
char *fz_strndup(const uint8_t *data, size_t size);

/* A private directory, on tmpfs when there is one (SQLite's fsyncs cost
 * nothing there), made once and removed with its files at exit. */
const char *fz_tmpdir(void);

/* Copies a file (a template database for each input). 0 or -errno. */
int fz_copy_file(const char *from, const char *to);
/* Removes a SQLite database with its -wal and -shm companions. */
void fz_unlink_db(const char *path);

/* KC_FUZZ_VERBOSE set: the harness prints what it saw (a reply, a
 * result), to see by hand what an input reaches. */
int fz_verbose(void);

/* Silences the project's logging (the loaders log nothing, the daemons'
 * parts do; libFuzzer's own output stays readable). */
void fz_quiet(void);

#endif
