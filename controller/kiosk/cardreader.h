/* A USB card reader that types like a keyboard ("keyboard wedge"), read
 * with libevdev from its /dev/input device and grabbed, so that what it
 * types reaches no other program.
 *
 * The reader decodes key presses (digits, letters, shift) into a card id
 * that ends with Enter. A key held down (repeats) and key releases type
 * nothing. A card longer than the bound, or holding a key that is not a
 * digit or a letter, is dropped whole; so is a card half typed when the
 * keys stop for longer than key_timeout_ms.
 *
 * When the device goes away (unplugged: ENODEV) or cannot be opened or
 * grabbed, the reader reports it and tries again with a doubling delay;
 * when it opens again, it reports that too.
 *
 * Poll loop: kc_cardreader_fd() is one descriptor for the reader's whole
 * life (it does not change when the device comes and goes). When it polls
 * readable, call kc_cardreader_read() until it returns 0.
 *
 * Nothing here logs: a card id is only ever given to the caller, and the
 * messages written into err never hold one. The reader wipes its copy of
 * a card's characters once it has handed the card over or dropped it. */
#ifndef KC_CARDREADER_H
#define KC_CARDREADER_H

#include <stddef.h>

/* The longest card id the reader takes, and the defaults of its options. */
#define KC_CARDREADER_ID_MAX 32
#define KC_CARDREADER_KEY_TIMEOUT_MS 500
#define KC_CARDREADER_BACKOFF_MIN_MS 250
#define KC_CARDREADER_BACKOFF_MAX_MS 5000

struct kc_cardreader;

struct kc_cardreader_opts {
	const char *path;            /* e.g. /dev/input/by-id/usb-...-event-kbd */
	unsigned max_len;            /* 1..KC_CARDREADER_ID_MAX; 0: the maximum */
	unsigned key_timeout_ms;     /* longest pause between two keys of a card; 0: default */
	unsigned backoff_min_ms;     /* first retry after a failed open; 0: default */
	unsigned backoff_max_ms;     /* the retry delay doubles up to this; 0: default */
};

enum kc_cardreader_kind {
	KC_CARDREADER_CARD = 1, /* a card id: id, len */
	KC_CARDREADER_UP,       /* the device is open and grabbed */
	KC_CARDREADER_DOWN,     /* the device is gone or cannot be had: error, message */
};

struct kc_cardreader_event {
	enum kc_cardreader_kind kind;
	char id[KC_CARDREADER_ID_MAX + 1]; /* CARD: NUL-terminated */
	size_t len;                        /* CARD: strlen(id) */
	int error;                         /* DOWN: negative errno (-ENODEV unplugged,
					    * -ENOENT no such path, -EBUSY grabbed
					    * by another program, -EACCES, ...) */
	char message[160];                 /* DOWN: what happened, for a log */
};

/* What the reader has dropped and done since it was opened. */
struct kc_cardreader_stats {
	unsigned long cards;            /* card ids handed over */
	unsigned long dropped_timeout;  /* half-typed cards dropped after a pause */
	unsigned long dropped_long;     /* cards longer than max_len */
	unsigned long dropped_key;      /* cards with a key that is not a digit or letter */
	unsigned long dropped_sync;     /* cards cut by a kernel buffer overrun */
	unsigned long opens;            /* successful opens (1 + reconnections) */
};

/* Makes a reader and tries the device once. The device need not be there:
 * the first event kc_cardreader_read() gives is UP or DOWN. Returns 0, or
 * -EINVAL for bad options or -errno when no descriptor or memory could be
 * had, with a message in err. */
int kc_cardreader_open(struct kc_cardreader **out, const struct kc_cardreader_opts *opts,
		       char *err, size_t errlen);

/* Releases the grab, closes everything, wipes the partial card. NULL is fine. */
void kc_cardreader_close(struct kc_cardreader *r);

/* The descriptor to poll for POLLIN. */
int kc_cardreader_fd(const struct kc_cardreader *r);

/* Gives the next event: 1 with *ev filled, 0 when there is nothing more
 * for now (poll again), or -errno when the reader itself failed (with a
 * message in err; the device coming and going is never such a failure). */
int kc_cardreader_read(struct kc_cardreader *r, struct kc_cardreader_event *ev, char *err,
		       size_t errlen);

/* 1 while the device is open and grabbed, 0 otherwise. */
int kc_cardreader_connected(const struct kc_cardreader *r);

void kc_cardreader_stats(const struct kc_cardreader *r, struct kc_cardreader_stats *st);

#endif
