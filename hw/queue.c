/* What the bus threads and the drivers hand up to the cabinet, below both
 * (hw/board.h): the caller's event queue (a ring that grows, under the
 * cabinet's mutex, and an eventfd readable while events wait), the
 * request count of a bus, and the wake-up of an eventfd. */
#include <stdint.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "hw/board.h"
#include "hw/hw.h"

#define QUEUE_FIRST_CAP 256 /* events the queue holds before it first grows */

void hw_wake(int fd)
{
	uint64_t one = 1;

	/* Cannot fail short of a counter overflow, which only means that a
	 * wake-up is pending already. */
	if (write(fd, &one, sizeof(one)) < 0)
		return;
}

void hw_cabinet_emit_locked(struct hw_cabinet *cab, const struct hw_event *ev)
{
	if (cab->qlen == cab->qcap) {
		size_t ncap = cab->qcap ? cab->qcap * 2 : QUEUE_FIRST_CAP;
		struct hw_event *q = malloc(ncap * sizeof(*q));

		if (!q)
			return; /* out of memory: nothing better to do than drop */
		for (size_t i = 0; i < cab->qlen; i++)
			q[i] = cab->queue[(cab->qhead + i) % cab->qcap];
		free(cab->queue);
		cab->queue = q;
		cab->qcap = ncap;
		cab->qhead = 0;
	}
	cab->queue[(cab->qhead + cab->qlen) % cab->qcap] = *ev;
	if (cab->qlen++ == 0)
		hw_wake(cab->ev_fd);
}

int hw_cabinet_read_events(struct hw_cabinet *cab, struct hw_event *ev, int max)
{
	int n = 0;

	pthread_mutex_lock(&cab->lock);
	while (n < max && cab->qlen > 0) {
		ev[n++] = cab->queue[cab->qhead];
		cab->qhead = (cab->qhead + 1) % cab->qcap;
		cab->qlen--;
	}
	if (cab->qlen == 0) {
		uint64_t v;

		/* EAGAIN when it was drained already: fine either way */
		if (read(cab->ev_fd, &v, sizeof(v)) < 0)
			v = 0;
	}
	pthread_mutex_unlock(&cab->lock);
	return n;
}

void hw_bus_count_request(struct hw_bus *bus)
{
	pthread_mutex_lock(&bus->cab->lock);
	bus->requests++;
	pthread_mutex_unlock(&bus->cab->lock);
}
