/* keyauditd.conf's channels ([channel NAME]), the rules of who gets what
 * ([route]) and the secrets file the channels' secrets come from. */
#include "service/config.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/ini.h"
#include "common/util.h"
#include "service/sbuf.h"
#include "service/templates.h"

#define KC_MAX_CHANNELS 64
#define KC_MAX_ROUTES 128

static int dup_into(char **slot, const char *v)
{
	char *c = strdup(v);

	if (!c)
		return -ENOMEM;
	free(*slot);
	*slot = c;
	return 0;
}

static struct kc_channel_conf *channel_get(struct kc_audit_config *cfg, const char *name, char *err,
					   size_t errlen)
{
	struct kc_channel_conf *n;

	for (int i = 0; i < cfg->nchannels; i++)
		if (strcmp(cfg->channels[i].name, name) == 0)
			return &cfg->channels[i];
	if (!*name || strchr(name, ':') || strchr(name, ',') || strchr(name, ' ')) {
		snprintf(err, errlen, "a channel's name is one word without ':' or ',' ([channel desk])");
		return NULL;
	}
	if (cfg->nchannels == KC_MAX_CHANNELS) {
		snprintf(err, errlen, "at most %d channels", KC_MAX_CHANNELS);
		return NULL;
	}
	n = realloc(cfg->channels, (size_t)(cfg->nchannels + 1) * sizeof(*n));
	if (!n) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	cfg->channels = n;
	n = &cfg->channels[cfg->nchannels];
	memset(n, 0, sizeof(*n));
	n->name = strdup(name);
	if (!n->name) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	cfg->nchannels++;
	return n;
}

/* template.<kind> = ID [field ...] */
static int channel_template(struct kc_channel_conf *ch, const char *kind, const char *value, char *err,
			    size_t errlen)
{
	const char *sp;
	char *check = NULL;
	int r;

	for (int k = 0; k < KC_NOTICE_KINDS; k++) {
		if (strcmp(kind, kc_notice_kind_name(k)) != 0)
			continue;
		sp = value + strcspn(value, " \t");
		if (sp == value) {
			snprintf(err, errlen, "expected the gateway's template id, then the notice's fields"
				 " it takes (SMS_154950909 unit end)");
			return -EINVAL;
		}
		/* each field a placeholder the templates know */
		{
			struct sbuf b = { 0 };
			const char *f = sp;

			while (*f) {
				size_t w;

				f += strspn(f, " \t");
				w = strcspn(f, " \t");
				if (!w)
					break;
				sbuf_printf(&b, "{%.*s}", (int)w, f);
				f += w;
			}
			check = sbuf_take(&b);
			if (!check)
				return -ENOMEM;
		}
		r = kc_template_check(k, check, 1, err, errlen);
		free(check);
		if (r < 0) {
			/* one line of fields: no "line 1: " before the reason */
			const char *why = strstr(err, ": ");

			if (why)
				memmove(err, why + 2, strlen(why + 2) + 1);
			return r;
		}
		if (dup_into(&ch->tmpl_id[k], value) < 0)
			return -ENOMEM;
		ch->tmpl_id[k][sp - value] = '\0';
		sp += strspn(sp, " \t");
		return dup_into(&ch->tmpl_params[k], sp);
	}
	snprintf(err, errlen, "no notice kind %s", kind);
	return -EINVAL;
}

static const char *header_name(const char *header)
{
	const char *name = header + strcspn(header, " ");

	return name + strspn(name, " ");
}

int kc_config_channel_add(struct kc_audit_config *cfg, const char *header, int line, char *err,
			  size_t errlen)
{
	const char *name = header_name(header);
	struct kc_channel_conf *ch;

	for (int i = 0; i < cfg->nchannels; i++)
		if (strcmp(cfg->channels[i].name, name) == 0) {
			snprintf(err, errlen, "a second [channel %s] (the first at line %d)", name,
				 cfg->channels[i].line);
			return -EINVAL;
		}
	ch = channel_get(cfg, name, err, errlen);
	if (!ch)
		return -EINVAL;
	ch->line = line;
	return 0;
}

int kc_config_channel_key(struct kc_audit_config *cfg, const char *section, const char *key,
			  const char *value, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		size_t off;
	} text[] = {
		{ "url", offsetof(struct kc_channel_conf, url) },
		{ "key_id", offsetof(struct kc_channel_conf, key_id) },
		{ "sign_name", offsetof(struct kc_channel_conf, sign_name) },
		{ "app_id", offsetof(struct kc_channel_conf, app_id) },
		{ "region", offsetof(struct kc_channel_conf, region) },
		{ "from", offsetof(struct kc_channel_conf, from) },
		{ "ca_file", offsetof(struct kc_channel_conf, ca_file) },
	};
	struct kc_channel_conf *ch = channel_get(cfg, header_name(section), err, errlen);

	if (!ch)
		return -EINVAL;
	if (strcmp(key, "type") == 0) {
		int k = kc_channel_kind_find(value);

		if (k < 0) {
			snprintf(err, errlen, "\"%s\" is no channel type (webhook, wecom, sms_aliyun,"
				 " sms_tencent, smtp)", value);
			return -EINVAL;
		}
		ch->kind = (enum kc_channel_kind)k;
		ch->kind_set = true;
		ch->per_minute = kc_channel_type(ch->kind)->per_minute;
		return 0;
	}
	for (size_t i = 0; i < KC_ARRAY_SIZE(text); i++)
		if (strcmp(key, text[i].name) == 0)
			return dup_into((char **)((char *)ch + text[i].off), value);
	if (strcmp(key, "format") == 0) {
		if (strcmp(value, "markdown") != 0 && strcmp(value, "text") != 0) {
			snprintf(err, errlen, "\"%s\": markdown or text", value);
			return -EINVAL;
		}
		return dup_into(&ch->format, value);
	}
	if (strcmp(key, "per_minute") == 0) {
		long long n;

		if (kc_parse_long(value, 0, 100000, &n) < 0) {
			snprintf(err, errlen, "\"%s\" is not a number from 0 to 100000", value);
			return -EINVAL;
		}
		ch->per_minute = (int)n;
		return 0;
	}
	if (strncmp(key, "template.", 9) == 0)
		return channel_template(ch, key + 9, value, err, errlen);
	snprintf(err, errlen, "unknown key");
	return -EINVAL;
}

int kc_config_route_key(struct kc_audit_config *cfg, const char *section, const char *key,
			const char *value, char *err, size_t errlen)
{
	const char *site = header_name(section);
	struct kc_route *n;
	int k;

	for (k = 0; k < KC_NOTICE_KINDS; k++)
		if (strcmp(key, kc_notice_kind_name(k)) == 0)
			break;
	if (k == KC_NOTICE_KINDS) {
		snprintf(err, errlen, "no notice kind %s", key);
		return -EINVAL;
	}
	if (!*value) {
		snprintf(err, errlen, "expected channel[:recipient], ... (desk, sms:person, mail:manager@example.com)");
		return -EINVAL;
	}
	if (cfg->nroutes == KC_MAX_ROUTES) {
		snprintf(err, errlen, "at most %d rules", KC_MAX_ROUTES);
		return -EINVAL;
	}
	n = realloc(cfg->routes, (size_t)(cfg->nroutes + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	cfg->routes = n;
	n = &cfg->routes[cfg->nroutes];
	memset(n, 0, sizeof(*n));
	n->kind = strdup(key);
	n->channel_names = strdup(value);
	n->site = *site ? strdup(site) : NULL;
	cfg->nroutes++;
	return n->kind && n->channel_names && (n->site || !*site) ? 0 : -ENOMEM;
}

/* the index of channel name, or -1 */
static int channel_find(const struct kc_audit_config *cfg, const char *name)
{
	for (int c = 0; c < cfg->nchannels; c++)
		if (strcmp(cfg->channels[c].name, name) == 0)
			return c;
	return -1;
}

/* The index of name, a channel a group reads (webhook, wecom): what a
 * department's notices go to. -1 with why in err when it is not one. */
static int group_channel(const struct kc_audit_config *cfg, const char *name, char *err, size_t errlen)
{
	int c = channel_find(cfg, name);

	if (c < 0)
		snprintf(err, errlen, "no channel \"%s\" ([channel %s] is not in the file)", name, name);
	else if (kc_channel_type(cfg->channels[c].kind)->needs_template)
		snprintf(err, errlen, "%s is an SMS channel: it sends to one phone number, not to a group", name);
	else if (cfg->channels[c].kind == KC_CHANNEL_SMTP)
		snprintf(err, errlen, "%s is an smtp channel: it sends to an address, not to a group", name);
	else
		return c;
	return -1;
}

int kc_config_department_key(struct kc_audit_config *cfg, const char *section, const char *key,
			     const char *value, char *err, size_t errlen)
{
	struct kc_department *n;

	(void)section;
	for (int i = 0; i < cfg->ndepartments; i++)
		if (strcmp(cfg->departments[i].name, key) == 0) {
			snprintf(err, errlen, "%s twice (the first at line %d)", key, cfg->departments[i].line);
			return -EINVAL;
		}
	if (!*value || strpbrk(value, " \t,:|")) {
		snprintf(err, errlen, "expected one channel, the department's group (DEPARTMENT = CHANNEL)");
		return -EINVAL;
	}
	n = realloc(cfg->departments, (size_t)(cfg->ndepartments + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	cfg->departments = n;
	n = &cfg->departments[cfg->ndepartments];
	memset(n, 0, sizeof(*n));
	n->name = strdup(key);
	n->channel_name = strdup(value);
	cfg->ndepartments++;
	return n->name && n->channel_name ? 0 : -ENOMEM;
}

/* rt's next target: channel (-1: the notice's department's group),
 * fallback, recipient rcpt (or NULL). 0 or -ENOMEM. */
static int target_add(struct kc_route *rt, int channel, int fallback, const char *rcpt)
{
	struct kc_route_target *n = realloc(rt->targets, (size_t)(rt->ntargets + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	rt->targets = n;
	n[rt->ntargets].channel = channel;
	n[rt->ntargets].fallback = fallback;
	n[rt->ntargets].recipient = rcpt ? strdup(rcpt) : NULL;
	rt->ntargets++;
	return rcpt && !n[rt->ntargets - 1].recipient ? -ENOMEM : 0;
}

/* A rule's target "department[:person][|fallback]": the notice's
 * department's group, else fallback's (*fb, -1: nowhere). */
static int department_target(struct kc_audit_config *cfg, const char *rcpt, const char *fallback, int *fb,
			     char *err, size_t errlen)
{
	*fb = -1;
	if (!cfg->ndepartments) {
		snprintf(err, errlen, "department: no [departments] section names a department's group");
		return -EINVAL;
	}
	if (rcpt && strcmp(rcpt, "person") != 0) {
		snprintf(err, errlen, "recipient \"%s\" of department: \"person\" (mentioned in the group)", rcpt);
		return -EINVAL;
	}
	if (fallback) {
		*fb = group_channel(cfg, fallback, err, errlen);
		if (*fb < 0)
			return -EINVAL;
	}
	return 0;
}

/* A rule's "channel[:recipient], ..." into its targets. */
static int route_resolve(struct kc_audit_config *cfg, struct kc_route *rt, char *err, size_t errlen)
{
	char *list = strdup(rt->channel_names), *save = NULL;
	int r = 0;

	if (!list)
		return -ENOMEM;
	for (char *t = strtok_r(list, ",", &save); t && r == 0; t = strtok_r(NULL, ",", &save)) {
		char *rcpt, *end, *fallback;
		int c, fb;

		t += strspn(t, " \t");
		end = t + strlen(t);
		while (end > t && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		fallback = strchr(t, '|');
		if (fallback)
			*fallback++ = '\0';
		rcpt = strchr(t, ':');
		if (rcpt)
			*rcpt++ = '\0';
		if (strcmp(t, "department") == 0) {
			r = department_target(cfg, rcpt, fallback, &fb, err, errlen);
			if (r == 0)
				r = target_add(rt, -1, fb, rcpt);
			continue;
		}
		if (fallback) {
			snprintf(err, errlen, "%s|%s: only the target department has a fallback", t, fallback);
			r = -EINVAL;
			break;
		}
		c = channel_find(cfg, t);
		if (c < 0) {
			snprintf(err, errlen, "no channel \"%s\" ([channel %s] is not in the file)", t, t);
			r = -EINVAL;
			break;
		}
		if (rcpt && strcmp(rcpt, "person") != 0 &&
		    (cfg->channels[c].kind != KC_CHANNEL_SMTP || !strchr(rcpt, '@'))) {
			snprintf(err, errlen, "recipient \"%s\" of %s: \"person\" (the notice's phone number)"
				 " or, for an smtp channel, an e-mail address", rcpt, t);
			r = -EINVAL;
			break;
		}
		if (rcpt && strcmp(rcpt, "person") == 0 && kc_channel_type(cfg->channels[c].kind)->needs_template &&
		    !cfg->notice_key_file) {
			snprintf(err, errlen, "%s:person sends to the notice's sealed phone number: set [notify]"
				 " notice_key_file (keyauditd notice-key new)", t);
			r = -EINVAL;
			break;
		}
		if (cfg->channels[c].kind == KC_CHANNEL_SMTP && !rcpt) {
			snprintf(err, errlen, "%s is an smtp channel: name the address (%s:manager@example.com)", t, t);
			r = -EINVAL;
			break;
		}
		if (kc_channel_type(cfg->channels[c].kind)->needs_template && (!rcpt || strcmp(rcpt, "person") != 0)) {
			snprintf(err, errlen, "%s sends SMS to the notice's phone number: %s:person", t, t);
			r = -EINVAL;
			break;
		}
		for (int k = 0; k < KC_NOTICE_KINDS; k++)
			if (strcmp(rt->kind, kc_notice_kind_name(k)) == 0 &&
			    kc_channel_type(cfg->channels[c].kind)->needs_template && !cfg->channels[c].tmpl_id[k]) {
				snprintf(err, errlen, "[channel %s] has no template.%s for the gateway's template id",
					 t, rt->kind);
				r = -EINVAL;
			}
		if (r < 0)
			break;
		r = target_add(rt, c, -1, rcpt);
	}
	free(list);
	return r;
}

static void secret_key(struct kc_ini *ini, const char *name, const char *value)
{
	struct kc_audit_config *cfg = ini->user;
	const char *ch = header_name(ini->section);

	if (strncmp(ini->section, "channel ", 8) != 0 || strcmp(name, "secret") != 0) {
		kc_ini_fail(ini, name, "expected \"secret = ...\" under [channel NAME]");
		return;
	}
	for (int i = 0; i < cfg->nchannels; i++)
		if (strcmp(cfg->channels[i].name, ch) == 0) {
			if (cfg->channels[i].secret) {
				sodium_memzero(cfg->channels[i].secret, strlen(cfg->channels[i].secret));
				free(cfg->channels[i].secret);
			}
			cfg->channels[i].secret = strdup(value);
			if (!cfg->channels[i].secret)
				kc_ini_fail(ini, name, "out of memory");
			return;
		}
	kc_ini_fail(ini, NULL, "no channel %s in the configuration", ch);
}

static int secrets_load(struct kc_audit_config *cfg, char *err, size_t errlen)
{
	static const struct kc_ini_spec spec = {
		.key = secret_key,
		.syntax = "syntax error (expected \"secret = ...\" or \"[channel NAME]\")",
		.cannot_open = "cannot open: ",
	};
	struct stat st;

	if (stat(cfg->secrets_file, &st) == 0 && (st.st_mode & 077)) {
		snprintf(err, errlen, "%s: others may read it (mode %04o): chmod 600, owned by keyauditd's user",
			 cfg->secrets_file, (unsigned)(st.st_mode & 07777));
		return -EINVAL;
	}
	return kc_ini_load(cfg->secrets_file, &spec, cfg, err, errlen);
}

int kc_config_channels_check(struct kc_audit_config *cfg, int *line, char *err, size_t errlen)
{
	int r;

	*line = 0;
	if (cfg->secrets_file) {
		r = secrets_load(cfg, err, errlen);
		if (r < 0)
			return -EINVAL;
	}
	for (int i = 0; i < cfg->nchannels; i++) {
		struct kc_channel_conf *ch = &cfg->channels[i];
		const char *missing = NULL;

		*line = ch->line;
		if (!ch->kind_set)
			missing = "type";
		else if (!ch->url)
			missing = "url";
		else if (ch->kind == KC_CHANNEL_WECOM && !ch->secret)
			missing = "secret (the robot's key, in [notify] secrets_file)";
		else if ((ch->kind == KC_CHANNEL_SMS_ALIYUN || ch->kind == KC_CHANNEL_SMS_TENCENT) && !ch->key_id)
			missing = "key_id";
		else if ((ch->kind == KC_CHANNEL_SMS_ALIYUN || ch->kind == KC_CHANNEL_SMS_TENCENT) && !ch->secret)
			missing = "secret (the AccessKey secret or SecretKey, in [notify] secrets_file)";
		else if ((ch->kind == KC_CHANNEL_SMS_ALIYUN || ch->kind == KC_CHANNEL_SMS_TENCENT) && !ch->sign_name)
			missing = "sign_name";
		else if (ch->kind == KC_CHANNEL_SMS_TENCENT && (!ch->app_id || !ch->region))
			missing = "app_id and region";
		else if (ch->kind == KC_CHANNEL_SMTP && !ch->from)
			missing = "from";
		if (missing) {
			snprintf(err, errlen, "[channel %s]: no %s", ch->name, missing);
			return -EINVAL;
		}
		if (strncmp(ch->url, ch->kind == KC_CHANNEL_SMTP ? "smtp" : "http", 4) != 0) {
			snprintf(err, errlen, "[channel %s] url: \"%s\" is not an %s URL", ch->name, ch->url,
				 ch->kind == KC_CHANNEL_SMTP ? "smtp:// or smtps://" : "http:// or https://");
			return -EINVAL;
		}
	}
	for (int i = 0; i < cfg->ndepartments; i++) {
		struct kc_department *d = &cfg->departments[i];
		char why[256];

		*line = d->line;
		d->channel = group_channel(cfg, d->channel_name, why, sizeof(why));
		if (d->channel < 0) {
			snprintf(err, errlen, "[departments] %s: %s", d->name, why);
			return -EINVAL;
		}
	}
	for (int i = 0; i < cfg->nroutes; i++) {
		char why[256];

		*line = cfg->routes[i].line;
		r = route_resolve(cfg, &cfg->routes[i], why, sizeof(why));
		if (r < 0) {
			snprintf(err, errlen, "[route%s%s] %s: %s", cfg->routes[i].site ? " " : "",
				 cfg->routes[i].site ? cfg->routes[i].site : "", cfg->routes[i].kind, why);
			return r;
		}
	}
	*line = 0;
	return 0;
}

void kc_config_channels_free(struct kc_audit_config *cfg)
{
	for (int i = 0; i < cfg->nchannels; i++) {
		struct kc_channel_conf *ch = &cfg->channels[i];

		free(ch->name);
		free(ch->url);
		free(ch->key_id);
		if (ch->secret) {
			sodium_memzero(ch->secret, strlen(ch->secret));
			free(ch->secret);
		}
		free(ch->sign_name);
		free(ch->app_id);
		free(ch->region);
		free(ch->from);
		free(ch->ca_file);
		free(ch->format);
		for (int k = 0; k < KC_NOTICE_KINDS; k++) {
			free(ch->tmpl_id[k]);
			free(ch->tmpl_params[k]);
		}
	}
	free(cfg->channels);
	for (int i = 0; i < cfg->nroutes; i++) {
		free(cfg->routes[i].kind);
		free(cfg->routes[i].site);
		free(cfg->routes[i].channel_names);
		for (int t = 0; t < cfg->routes[i].ntargets; t++)
			free(cfg->routes[i].targets[t].recipient);
		free(cfg->routes[i].targets);
	}
	free(cfg->routes);
	for (int i = 0; i < cfg->ndepartments; i++) {
		free(cfg->departments[i].name);
		free(cfg->departments[i].channel_name);
	}
	free(cfg->departments);
}
