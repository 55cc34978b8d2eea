/* The terminal's spoken prompts: a prompt of the catalogue
 * (common/msgs/voice.def, its Chinese in po/zh_CN/voice.po) with a slot's
 * name in it, rendered by espeak-ng (a child process: Mandarin voice cmn
 * for the Chinese, en for the English) to a WAV, kept in a small cache,
 * served to the page at GET /api/speech/<prompt>?slot=S03&lang=zh-CN
 * (http.c). The spoken text holds a slot's name and nothing of a person. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "controller/kiosk/kiosk.h"

#define VOICE_WAV_MAX ((size_t)4 * 1024 * 1024) /* a prompt is a few seconds: ~45 kB/s */
#define VOICE_TIMEOUT_MS 10000
#define VOICE_CACHE 32
#define VOICE_SLOT_MAX 8
#define VOICE_SPEED "150" /* words a minute: espeak-ng's default is 175 */

extern char **environ;

/* The prompts a page may ask for, by name. */
static const struct {
	const char *name;
	enum kc_msg_code code;
} voice_prompts[] = {
	{ "slot_open", KCM_voice_slot_open },
	{ "alarm_tamper", KCM_voice_alarm_tamper },
	{ "alarm_wrong_slot", KCM_voice_alarm_wrong_slot },
	{ "alarm_fault", KCM_voice_alarm_fault },
};

/* The languages: the page's name, the catalogue's, espeak-ng's voice. */
static const struct {
	const char *name;
	enum kc_lang lang;
	const char *voice;
} voice_langs[] = {
	{ "zh-CN", KC_LANG_ZH, "cmn" },
	{ "en", KC_LANG_EN, "en" },
};

struct voice_wav {
	char key[64]; /* prompt/slot/lang; "" when the place is free */
	unsigned char *data;
	size_t len;
	uint64_t used;
};

static struct {
	pthread_mutex_t lock;
	bool on;
	const char *program;
	struct voice_wav cache[VOICE_CACHE];
	uint64_t clock;
} voice = { .lock = PTHREAD_MUTEX_INITIALIZER, .program = "espeak-ng" };

void kiosk_voice_init(bool on, const char *program)
{
	voice.on = on;
	if (program && program[0])
		voice.program = program;
}

bool kiosk_voice_on(void)
{
	return voice.on;
}

void kiosk_voice_free(void)
{
	for (size_t i = 0; i < VOICE_CACHE; i++) {
		free(voice.cache[i].data);
		memset(&voice.cache[i], 0, sizeof(voice.cache[i]));
	}
}

/* A slot's name: 1 to VOICE_SLOT_MAX of A-Z, 0-9. */
static bool voice_slot_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n >= 1 && n <= VOICE_SLOT_MAX && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == n;
}

/* espeak-ng writes the sizes of a WAV it streams as "unknown": set
 * them from what it wrote (a canonical 44-byte header). */
static void voice_wav_sizes(unsigned char *d, size_t len)
{
	uint32_t riff = (uint32_t)(len - 8), data = (uint32_t)(len - 44);

	if (len < 44 || memcmp(d, "RIFF", 4) != 0 || memcmp(d + 36, "data", 4) != 0)
		return;
	for (int i = 0; i < 4; i++) {
		d[4 + i] = (unsigned char)(riff >> (8 * i));
		d[40 + i] = (unsigned char)(data >> (8 * i));
	}
}

/* Reads the child's output to its end, within the time allowed. */
static int voice_read(int fd, unsigned char **out, size_t *len)
{
	int64_t end = kc_mono_ms() + VOICE_TIMEOUT_MS;
	size_t cap = (size_t)256 * 1024, n = 0;
	unsigned char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = end - kc_mono_ms();
		ssize_t r;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
			free(buf);
			return -ETIMEDOUT;
		}
		if (n == cap) {
			unsigned char *b = cap * 2 > VOICE_WAV_MAX ? NULL : realloc(buf, cap * 2);

			if (!b) {
				free(buf);
				return -EFBIG;
			}
			buf = b;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return -errno;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* text spoken by espeak-ng in voice, as a WAV. */
static int voice_render(const char *text, const char *vname, unsigned char **out, size_t *len)
{
	char *argv[] = { (char *)voice.program, "-v", (char *)vname, "-s", VOICE_SPEED, "--stdout", (char *)text, NULL };
	posix_spawn_file_actions_t fa;
	int pipefd[2], st = 0, r;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	r = posix_spawnp(&pid, voice.program, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (r != 0) {
		close(pipefd[0]);
		return -r;
	}
	r = voice_read(pipefd[0], out, len);
	close(pipefd[0]);
	if (r < 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (r == 0 && (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || *len < 44 || memcmp(*out, "RIFF", 4) != 0)) {
		free(*out);
		*out = NULL;
		r = -EIO;
	}
	if (r == 0)
		voice_wav_sizes(*out, *len);
	return r;
}

/* The cached copy of key, or the place for it (the least used). */
static struct voice_wav *voice_place(const char *key, bool *hit)
{
	struct voice_wav *old = &voice.cache[0];

	for (size_t i = 0; i < VOICE_CACHE; i++) {
		struct voice_wav *w = &voice.cache[i];

		if (strcmp(w->key, key) == 0 && w->data) {
			*hit = true;
			return w;
		}
		if (w->used < old->used)
			old = w;
	}
	*hit = false;
	return old;
}

int kiosk_voice_wav(const char *prompt, const char *slot, const char *lang, unsigned char **out, size_t *len)
{
	size_t p, l;
	char key[64], text[512];
	json_t *m;
	struct voice_wav *w;
	unsigned char *data = NULL;
	size_t n = 0;
	bool hit;
	int r;

	if (!voice.on)
		return -EPERM;
	for (p = 0; p < KC_ARRAY_SIZE(voice_prompts) && strcmp(voice_prompts[p].name, prompt) != 0; p++)
		;
	for (l = 0; l < KC_ARRAY_SIZE(voice_langs) && strcmp(voice_langs[l].name, lang ? lang : "zh-CN") != 0; l++)
		;
	if (p == KC_ARRAY_SIZE(voice_prompts) || l == KC_ARRAY_SIZE(voice_langs) || !voice_slot_ok(slot))
		return -ENOENT;
	snprintf(key, sizeof(key), "%s/%s/%s", voice_prompts[p].name, slot, voice_langs[l].name);
	pthread_mutex_lock(&voice.lock);
	w = voice_place(key, &hit);
	if (hit) {
		*out = malloc(w->len);
		if (*out) {
			memcpy(*out, w->data, w->len);
			*len = w->len;
			w->used = ++voice.clock;
		}
		pthread_mutex_unlock(&voice.lock);
		return *out ? 0 : -ENOMEM;
	}
	pthread_mutex_unlock(&voice.lock);

	m = kc_msg_new(voice_prompts[p].code, "{s:s}", "slot", slot);
	r = m ? kc_msg_render(m, voice_langs[l].lang, text, sizeof(text)) : -ENOMEM;
	json_decref(m);
	if (r < 0)
		return r;
	r = voice_render(text, voice_langs[l].voice, &data, &n);
	if (r < 0)
		return r;

	pthread_mutex_lock(&voice.lock);
	w = voice_place(key, &hit);
	if (!hit) {
		unsigned char *copy = malloc(n);

		if (copy) {
			memcpy(copy, data, n);
			free(w->data);
			w->data = copy;
			w->len = n;
			kc_strlcpy(w->key, key, sizeof(w->key));
		}
	}
	w->used = ++voice.clock;
	pthread_mutex_unlock(&voice.lock);
	*out = data;
	*len = n;
	return 0;
}
