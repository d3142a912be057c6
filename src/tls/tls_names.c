/* Certificate names against the SNI host name (RFC 6125 §6.4): exact
 * match, or a wildcard "*." standing for exactly one leftmost label. */
#include "tls/tls.h"

#include <string.h>
#include <strings.h>

bool tls_name_match(const char *pattern, const char *host)
{
	size_t hl = strlen(host), pl = strlen(pattern);
	const char *dot;

	if (hl && host[hl - 1] == '.')
		hl--;
	if (hl == 0 || pl == 0)
		return false;
	if (pattern[0] != '*')
		return pl == hl && strncasecmp(pattern, host, hl) == 0;
	/* "*.example.org": "*" is the whole first label, and the rest has
	 * at least two labels (no "*.org"). */
	if (pl < 3 || pattern[1] != '.' || !strchr(pattern + 2, '.'))
		return false;
	dot = memchr(host, '.', hl);
	if (!dot || dot == host)
		return false;
	return (size_t)(host + hl - dot) == pl - 1 &&
	       strncasecmp(dot, pattern + 1, pl - 1) == 0;
}
