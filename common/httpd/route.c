/* Route matching: a route row's methods and its path, whole or a prefix
 * (each server's table and its order are its own). */
#include "common/httpd/httpd.h"

#include <string.h>

unsigned kc_httpd_method(const char *method)
{
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
		return KC_HTTPD_GET;
	return strcmp(method, "POST") == 0 ? KC_HTTPD_POST : KC_HTTPD_OTHER;
}

bool kc_httpd_route_match(unsigned methods, const char *path, bool prefix, unsigned method, const char *url,
			  const char **rest)
{
	size_t n = strlen(path);

	if (!(methods & method))
		return false;
	if (prefix ? strncmp(url, path, n) != 0 : strcmp(url, path) != 0)
		return false;
	*rest = url + n;
	return true;
}
