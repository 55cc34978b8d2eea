/* A person's phone as the office keeps phones (service/estate_impl.h):
 * masked, and sealed to the office's notice key ([notify]
 * notice_key_file) when it has one, as a cabinet sends them; opened with
 * that key only to send the number to a cabinet. */
#include "service/estate_impl.h"

#include <errno.h>

#include "common/pdata.h"
#include "service/notice_key.h"

int est_phone_keep(const struct kc_estate_ctx *x, const char *phone, json_t *row)
{
	char err[256];
	struct kc_notice_keys *k = x->cfg && x->cfg->notice_key_file
					   ? kc_notice_keys_load(x->cfg->notice_key_file, err, sizeof(err))
					   : NULL;
	unsigned char pk[KC_NOTICE_PK_BYTES];
	int r = kc_json_phone_seal(row, phone, kc_notice_keys_public(k, pk) == 0 ? pk : NULL);

	kc_notice_keys_free(k);
	return r;
}

int est_phone_open(const struct kc_estate_ctx *x, const char *sealed, char *out, size_t len)
{
	char err[256];
	struct kc_notice_keys *k = x->cfg && x->cfg->notice_key_file
					   ? kc_notice_keys_load(x->cfg->notice_key_file, err, sizeof(err))
					   : NULL;
	int r = k ? kc_notice_keys_open(k, sealed, out, len) : -ENOKEY;

	kc_notice_keys_free(k);
	return r < 0 ? -ENOKEY : 0;
}
