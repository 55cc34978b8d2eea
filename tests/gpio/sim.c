/* gpio-sim through configfs and sysfs; see sim.h. */
#include "tests/gpio/sim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"


#define CONFIGFS "/sys/kernel/config/gpio-sim"

struct gsim {
	char dir[256];       /* configfs directory of the device */
	char sysfs[256];     /* /sys/devices/platform/<dev>/<chip> */
	char chip_name[64];
	int nlines;
};

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = strlen(text);
	ssize_t n = write(fd, text, len);
	int rc = n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
	close(fd);
	return rc;
}

/* Reads a short attribute without its trailing newline. */
static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, len - 1);
	int rc = n < 0 ? -errno : 0;
	close(fd);
	if (rc == 0) {
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
	}
	return rc;
}

static int write_attr(const char *dir, const char *attr, const char *text, char *err,
		      size_t errlen)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	int rc = write_file(path, text);
	if (rc < 0)
		snprintf(err, errlen, "writing \"%s\" to %s: %s", text, path, strerror(-rc));
	return rc;
}

static int make_dir(const char *path, char *err, size_t errlen)
{
	if (mkdir(path, 0755) < 0) {
		snprintf(err, errlen, "mkdir %s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

/* Removes the configfs tree below sim->dir, deepest first; what was never
 * made is simply not there. */
static void remove_tree(const struct gsim *sim)
{
	char path[512];
	for (int i = 0; i < sim->nlines; i++) {
		snprintf(path, sizeof(path), "%s/gpio-bank0/line%d", sim->dir, i);
		rmdir(path);
	}
	snprintf(path, sizeof(path), "%s/gpio-bank0", sim->dir);
	rmdir(path);
	rmdir(sim->dir);
}

/* Where the live chip's sim_gpioN attributes are. */
static int find_sysfs(struct gsim *sim)
{
	char path[512], dev_name[64], chip_name[64];

	snprintf(path, sizeof(path), "%s/dev_name", sim->dir);
	int rc = read_file(path, dev_name, sizeof(dev_name));
	if (rc < 0)
		return rc;
	snprintf(path, sizeof(path), "%s/gpio-bank0/chip_name", sim->dir);
	rc = read_file(path, chip_name, sizeof(chip_name));
	if (rc < 0)
		return rc;
	kc_strlcpy(sim->chip_name, chip_name, sizeof(sim->chip_name));
	snprintf(sim->sysfs, sizeof(sim->sysfs), "/sys/devices/platform/%s/%s", dev_name,
		 chip_name);
	return 0;
}

struct gsim *gsim_new(const char *name, const char *label, int nlines,
		      const char *const *names, char *err, size_t errlen)
{
	char bank[320], path[512], text[64];
	struct gsim *sim = calloc(1, sizeof(*sim));
	if (!sim) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(sim->dir, sizeof(sim->dir), CONFIGFS "/%s", name);
	snprintf(bank, sizeof(bank), "%s/gpio-bank0", sim->dir);
	if (make_dir(sim->dir, err, errlen) < 0)
		goto fail_free;
	sim->nlines = nlines;
	if (make_dir(bank, err, errlen) < 0)
		goto fail_tree;
	snprintf(text, sizeof(text), "%d", nlines);
	if (write_attr(bank, "num_lines", text, err, errlen) < 0 ||
	    write_attr(bank, "label", label, err, errlen) < 0)
		goto fail_tree;
	for (int i = 0; names && i < nlines; i++) {
		if (!names[i])
			continue;
		snprintf(path, sizeof(path), "%s/line%d", bank, i);
		if (make_dir(path, err, errlen) < 0 ||
		    write_attr(path, "name", names[i], err, errlen) < 0)
			goto fail_tree;
	}
	if (write_attr(sim->dir, "live", "1", err, errlen) < 0)
		goto fail_tree;
	int rc = find_sysfs(sim);
	if (rc < 0) {
		snprintf(err, errlen, "%s: no dev_name or chip_name: %s", sim->dir, strerror(-rc));
		goto fail_live;
	}
	return sim;

fail_live:
	snprintf(path, sizeof(path), "%s/live", sim->dir);
	write_file(path, "0");
fail_tree:
	remove_tree(sim);
fail_free:
	free(sim);
	return NULL;
}

void gsim_free(struct gsim *sim)
{
	char path[512];
	if (!sim)
		return;
	snprintf(path, sizeof(path), "%s/live", sim->dir);
	write_file(path, "0");
	remove_tree(sim);
	free(sim);
}

const char *gsim_chip_name(const struct gsim *sim)
{
	return sim->chip_name;
}

int gsim_value(const struct gsim *sim, int line)
{
	char path[512], buf[16];
	if (line < 0 || line >= sim->nlines)
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/sim_gpio%d/value", sim->sysfs, line);
	int rc = read_file(path, buf, sizeof(buf));
	if (rc < 0)
		return rc;
	if (strcmp(buf, "0") == 0)
		return 0;
	if (strcmp(buf, "1") == 0)
		return 1;
	return -EIO;
}

int gsim_pull(const struct gsim *sim, int line, bool up)
{
	char path[512];
	if (line < 0 || line >= sim->nlines)
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/sim_gpio%d/pull", sim->sysfs, line);
	return write_file(path, up ? "pull-up" : "pull-down");
}
