/* keycab-sim for the C tests and benches (tests/simctl.h). */
#include "tests/simctl.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"

int simctl_free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* Reads the reply line into buf (cap >= 1), dropping what does not fit,
 * up to its newline or the end of the connection; the newline is cut. */
static void read_reply(int fd, char *buf, size_t cap)
{
	size_t got = 0;
	bool nl = false;

	while (!nl) {
		char chunk[4096];
		ssize_t r = read(fd, chunk, sizeof(chunk));

		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r && got < cap - 1; i++)
			buf[got++] = chunk[i];
		nl = chunk[r - 1] == '\n';
	}
	buf[got] = '\0';
	if (got && buf[got - 1] == '\n')
		buf[got - 1] = '\0';
}

int simctl_cmd(const char *ctl_path, char *out, size_t len, const char *fmt, ...)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char line[256], scratch[8];
	char *buf = out && len ? out : scratch;
	size_t cap = out && len ? len : sizeof(scratch);
	va_list ap;
	int fd, n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(line) - 1)
		return -E2BIG;
	line[n] = '\n'; /* fits: one byte was kept free */
	line[n + 1] = '\0';
	kc_strlcpy(a.sun_path, ctl_path, sizeof(a.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		close(fd);
		return -EIO;
	}
	read_reply(fd, buf, cap);
	close(fd);
	return strncmp(buf, "OK", 2) == 0 ? 0 : -EPROTO;
}

int simctl_start(const char *conf_path, const char *ctl_path, pid_t *pid)
{
	*pid = fork();
	if (*pid < 0)
		return -errno;
	if (*pid == 0) {
		char path[512];
		const char *bin = getenv("KEYCAB_BIN");

		/* the simulator does not outlive a test that crashes */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		snprintf(path, sizeof(path), "%s/keycab-sim", bin ? bin : "build/bin");
		execl(path, "keycab-sim", "-c", conf_path, "--control", ctl_path, "--quiet",
		      (char *)NULL);
		_exit(127);
	}
	for (int64_t end = kc_mono_ms() + 15000; kc_mono_ms() < end; poll(NULL, 0, 20))
		if (simctl_cmd(ctl_path, NULL, 0, "ping") == 0)
			return 0;
	return -ETIMEDOUT;
}

void simctl_stop(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGTERM);
		waitpid(*pid, NULL, 0);
		*pid = -1;
	}
}
