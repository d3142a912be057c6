/* Error pages from files. See error_page.h. */
#include "files/error_page.h"

#include "core/ctx.h"
#include "files/fcache.h"

static const char *page_for(const struct config *cfg, int status)
{
	for (int i = 0; i < cfg->nerror_pages; i++)
		if (cfg->error_pages[i].status == status)
			return cfg->error_pages[i].rel;
	return NULL;
}

void error_page_apply(struct http_exchange *x)
{
	struct http_response *r = &x->resp;
	struct ctx *cx = x->ctx;
	struct fcache_entry *fe;
	const char *rel;
	int status;

	if (r->status < 400 || r->failed || r->hold_release || x->root_fd < 0 || !x->fcache)
		return;
	rel = page_for(cx->cfg, (int)r->status);
	if (!rel)
		return;
	fe = fcache_get(x->fcache, rel, cx->now, &status);
	if (!fe)
		return; /* missing or not a file: the built-in page */
	http_response_body_clear(r);
	http_response_hold(r, fcache_release, fe);
	r->content_type = fe->type;
	if (fe->data)
		http_response_body_ref(r, fe->data, (size_t)fe->st.st_size);
	else
		http_response_body_file(r, fe->fd, 0, (uint64_t)fe->st.st_size);
}
