/* Charts as inline SVG, written into a page by the service: no scripts,
 * no external assets. Each scales to its container's width (a viewBox,
 * width 100 %), so it prints and reads on a phone. Values are percentages;
 * a value below 0 is "none" (a month without vacant units). */
#ifndef KC_SERVICE_SVG_H
#define KC_SERVICE_SVG_H
#include "service/sbuf.h"

/* A horizontal bar of pct (0-100, longer values end at 100) on a track
 * 100 units wide, so the bar's width is the percentage itself, with a
 * mark at target; it stretches to its container's width (its height is
 * the page's to set); green when pct reaches target, else red. label names
 * the chart for screen readers (role="img"). */
void kc_svg_bar(struct sbuf *b, double pct, double target, const char *label);

/* A trend line of n values (oldest first) with a dashed line at target and
 * labels[i] under point i. Points: x = 20 + 20 i, y = 100 - 0.9 v (the
 * viewBox is 260 x 120); a value below 0 leaves a gap in the line. */
void kc_svg_trend(struct sbuf *b, const double *v, const char *const *labels, int n, double target,
		  const char *label);

#endif
