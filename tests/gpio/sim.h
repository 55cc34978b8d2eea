/* gpio-sim from user space: a simulated chip made through configfs, its
 * outputs read and its inputs pulled through sysfs (the kernel's
 * Documentation/admin-guide/gpio/gpio-sim.rst). Only the GPIO VM test uses
 * this; it needs the gpio-sim module and configfs mounted. */
#ifndef KC_TESTS_GPIO_SIM_H
#define KC_TESTS_GPIO_SIM_H
#include <stdbool.h>
#include <stddef.h>

struct gsim;

/* Makes chip `name` (the configfs directory) with one bank of nlines lines,
 * labelled `label`, line i named names[i] (names may be NULL), and brings
 * it live. NULL with the reason in err. */
struct gsim *gsim_new(const char *name, const char *label, int nlines,
		      const char *const *names, char *err, size_t errlen);
/* Takes the chip down and removes its configfs directories. NULL is fine. */
void gsim_free(struct gsim *sim);

/* "gpiochipN" of the live chip. */
const char *gsim_chip_name(const struct gsim *sim);
/* Physical level of a line: what its consumer drives on an output, the
 * pull otherwise. 0, 1 or -errno. */
int gsim_value(const struct gsim *sim, int line);
/* Pulls a line up (true) or down: what an input reads. 0 or -errno. */
int gsim_pull(const struct gsim *sim, int line, bool up);

#endif
