#include "service/svg.h"

#define OK_COLOUR "#2e7d32"
#define BAD_COLOUR "#c62828"

static double clamp100(double v)
{
	return v < 0 ? 0 : v > 100 ? 100 : v;
}

/* aspect: "none" to stretch to the container (a chart without text) */
static void svg_open(struct sbuf *b, const char *cls, const char *view, const char *aspect, const char *label)
{
	sbuf_printf(b, "<svg class=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"%s\" width=\"100%%\""
		       " preserveAspectRatio=\"%s\" role=\"img\" aria-label=\"", cls, view, aspect);
	sbuf_html(b, label);
	sbuf_add(b, "\"><title>");
	sbuf_html(b, label);
	sbuf_add(b, "</title>");
}

void kc_svg_bar(struct sbuf *b, double pct, double target, const char *label)
{
	svg_open(b, "bar", "0 0 100 10", "none", label);
	sbuf_add(b, "<rect class=\"track\" x=\"0\" y=\"1\" width=\"100\" height=\"8\" fill=\"#e0e0e0\"/>");
	sbuf_printf(b, "<rect class=\"value\" x=\"0\" y=\"1\" width=\"%.1f\" height=\"8\" fill=\"%s\"/>",
		    clamp100(pct), pct >= target ? OK_COLOUR : BAD_COLOUR);
	sbuf_printf(b, "<line class=\"target\" x1=\"%.1f\" x2=\"%.1f\" y1=\"0\" y2=\"10\" stroke=\"#111\""
		       " stroke-width=\"2\" vector-effect=\"non-scaling-stroke\"/></svg>", clamp100(target), clamp100(target));
}

void kc_svg_trend(struct sbuf *b, const double *v, const char *const *labels, int n, double target,
		  const char *label)
{
	int open = 0;

	svg_open(b, "trend", "0 0 260 120", "xMidYMid meet", label);
	sbuf_add(b, "<g stroke=\"#bbb\" stroke-width=\"0.5\"><line x1=\"15\" x2=\"250\" y1=\"10\" y2=\"10\"/>"
		    "<line x1=\"15\" x2=\"250\" y1=\"100\" y2=\"100\"/></g>"
		    "<g font-size=\"7\" fill=\"#555\"><text x=\"0\" y=\"12\">100</text><text x=\"8\" y=\"102\">0</text></g>");
	sbuf_printf(b, "<line class=\"target\" x1=\"15\" x2=\"250\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#111\""
		       " stroke-width=\"0.6\" stroke-dasharray=\"3 2\"/>",
		    100 - 0.9 * clamp100(target), 100 - 0.9 * clamp100(target));
	for (int i = 0; i < n; i++) {
		if (v[i] < 0) {
			if (open)
				sbuf_add(b, "\"/>");
			open = 0;
			continue;
		}
		sbuf_printf(b, "%s%d,%.1f", open ? " " : "<polyline class=\"line\" fill=\"none\" stroke=\"#1565c0\""
							 " stroke-width=\"1.5\" points=\"",
			    20 + 20 * i, 100 - 0.9 * clamp100(v[i]));
		open = 1;
	}
	if (open)
		sbuf_add(b, "\"/>");
	for (int i = 0; i < n; i++) {
		if (v[i] >= 0) {
			sbuf_printf(b, "<circle cx=\"%d\" cy=\"%.1f\" r=\"2\" fill=\"%s\"><title>", 20 + 20 * i,
				    100 - 0.9 * clamp100(v[i]), v[i] >= target ? OK_COLOUR : BAD_COLOUR);
			sbuf_html(b, labels[i]);
			sbuf_printf(b, " %.1f%%</title></circle>", v[i]);
		}
		sbuf_printf(b, "<text x=\"%d\" y=\"114\" font-size=\"7\" text-anchor=\"middle\" fill=\"#333\">",
			    20 + 20 * i);
		sbuf_html(b, labels[i]);
		sbuf_add(b, "</text>");
	}
	sbuf_add(b, "</svg>");
}
