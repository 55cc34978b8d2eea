/* What the pages and exports show of personal data and secrets (every
 * report passes through kc_mask_report): an owner's phone number masked as
 * the cabinet masks it (138****5678), a run of 7 or more digits in free
 * text masked the same way, a webhook URL as its scheme and host with the
 * path elided and each query value masked but its last 4 characters
 * (https://qyapi.weixin.qq.com/…?key=****abcd). */
#ifndef KC_SERVICE_MASK_H
#define KC_SERVICE_MASK_H
#include <jansson.h>
#include <stddef.h>

/* A phone number as kc_phone_mask (common/pdata.h) shows it: 11 digits or
 * more, the first ones, ****, the last 4; 6 to 10, stars and the last 4;
 * shorter, stars and the last 2. One too long for out is all stars. */
void kc_mask_phone(const char *phone, char *out, size_t len);
void kc_mask_url(const char *url, char *out, size_t len);
/* text with each run of 7 or more digits masked as a phone number;
 * malloc'd, NULL when out of memory. */
char *kc_mask_digits(const char *text);
/* Masks a report in place (its sections' rows, by column and member
 * name): members named *phone as phone numbers, webhook as a URL, free
 * text (texts of notices, problems, details, notes, messages, errors) by
 * its digit runs. */
void kc_mask_report(json_t *report);

#endif
