#include "common/signals.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>

int kc_signalfd_open(bool pipe_stops)
{
	static const int stops[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
	sigset_t mask;
	int fd, r;

	sigemptyset(&mask);
	for (unsigned i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
		sigaddset(&mask, stops[i]);
	if (pipe_stops)
		sigaddset(&mask, SIGPIPE);
	else if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return -errno;
	r = pthread_sigmask(SIG_BLOCK, &mask, NULL);
	if (r != 0)
		return -r;
	fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}
