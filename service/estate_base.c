/* What the estate's check and its changes to the cabinets' feeds both
 * read (service/estate_impl.h): a text member of a row, whether a cabinet
 * is managed. */
#include "service/estate_impl.h"

#include <errno.h>

#include "service/feed.h"

const char *est_str(const json_t *row, const char *name)
{
	return json_string_value(json_object_get(row, name));
}

int est_cabinet_managed(struct kc_db *db, const char *cabinet)
{
	int r = kc_feed_cabinet_managed(db, cabinet);

	return r == -ENOENT ? 0 : r < 0 ? -EIO : r;
}
