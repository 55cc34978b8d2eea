/* The feed's admin subcommands of keyauditd (service/README.md):
 *   add-cabinet ID --managed       register a cabinet the office manages
 *   cabinet-mode ID managed|standalone
 *   feed-add CABINET TYPE JSON [BY] append a change as it is
 *   feed-status CABINET [N]        the feed's counts and newest changes */
#ifndef KC_SERVICE_FEED_ADMIN_H
#define KC_SERVICE_FEED_ADMIN_H
#include "service/config.h"

/* The exit status of cmd, or -1 when cmd is none of these. */
int kc_feed_command(const struct kc_audit_config *cfg, const char *cmd, int argc, char **argv);

#endif
