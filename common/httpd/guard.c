/* The same-origin guard of writes and a JSON body's media type (httpd.h
 * says why each is enough). */
#include "common/httpd/httpd.h"

#include <string.h>
#include <strings.h>

bool kc_httpd_same_origin(struct MHD_Connection *c)
{
	const char *sfs = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-Fetch-Site");
	const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	const char *auth;

	if (sfs && strcmp(sfs, "same-origin") != 0 && strcmp(sfs, "none") != 0)
		return false;
	if (!origin || (sfs && strcmp(sfs, "same-origin") == 0 && strcmp(origin, "null") == 0))
		return true;
	auth = strstr(origin, "://");
	return auth && host && (strncmp(origin, "http://", 7) == 0 || strncmp(origin, "https://", 8) == 0) &&
	       strcasecmp(auth + 3, host) == 0;
}

bool kc_httpd_json_body(struct MHD_Connection *c)
{
	static const char media[] = "application/json", param[] = "charset=";
	const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);

	if (!type || strncasecmp(type, media, strlen(media)) != 0)
		return false;
	type += strlen(media);
	type += strspn(type, " \t");
	if (!*type)
		return true;
	if (*type++ != ';')
		return false;
	type += strspn(type, " \t");
	if (strncasecmp(type, param, strlen(param)) != 0)
		return false;
	type += strlen(param);
	if (strncasecmp(type, "utf-8", 5) == 0)
		type += 5;
	else if (strncasecmp(type, "\"utf-8\"", 7) == 0)
		type += 7;
	else
		return false;
	return type[strspn(type, " \t")] == '\0';
}
