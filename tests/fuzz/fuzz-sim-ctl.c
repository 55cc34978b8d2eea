/* keycab-sim's control socket (hw/sim/control.c): the input is what a
 * client writes on the socket before it closes its side. The command
 * parser is static; sim_ctl_readable() is the narrowest public entry
 * point and is what the simulator's loop calls. Every reply line is "OK
 * ..." or "ERR ...". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz-sim.h"
#include "tests/fuzz/fuzz.h"

static char reply[1 << 20];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_sim fs;
	char *line, *nl;

	fz_sim_start(&fs);
	fz_sim_ctl(&fs, data, size, true, reply, sizeof(reply));
	fz_sim_stop(&fs);
	for (line = reply; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break; /* cut at the buffer's end */
		if (fz_verbose())
			printf("  reply: %.*s\n", (int)(nl - line > 300 ? 300 : nl - line), line);
		if (strncmp(line, "OK", 2) != 0 && strncmp(line, "ERR ", 4) != 0) {
			fprintf(stderr, "a reply line is neither OK nor ERR: %.*s\n",
				(int)(nl - line), line);
			abort();
		}
	}
	return 0;
}
