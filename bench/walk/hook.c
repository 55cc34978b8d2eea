/* bench/walk: the -finstrument-functions hook: one line per function call and return,
 * "tid e|x offset" to $KC_WALK, offsets from the binary's load base. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

void __cyg_profile_func_enter(void *fn, void *site);
void __cyg_profile_func_exit(void *fn, void *site);

static int fd = -2;
static unsigned long base;

__attribute__((no_instrument_function)) static void rec(char k, void *fn)
{
	char b[64];
	int n;

	if (fd == -2) {
		const char *p = getenv("KC_WALK");
		Dl_info i;
		fd = p ? open(p, O_WRONLY | O_CREAT | O_APPEND, 0644) : -1;
		if (dladdr((void *)rec, &i))
			base = (unsigned long)i.dli_fbase;
	}
	if (fd < 0)
		return;
	n = snprintf(b, sizeof(b), "%ld %c %lx\n", (long)syscall(SYS_gettid), k, (unsigned long)fn - base);
	(void)!write(fd, b, (size_t)n);
}

__attribute__((no_instrument_function)) void __cyg_profile_func_enter(void *fn, void *site)
{
	(void)site;
	rec('e', fn);
}

__attribute__((no_instrument_function)) void __cyg_profile_func_exit(void *fn, void *site)
{
	(void)site;
	rec('x', fn);
}
