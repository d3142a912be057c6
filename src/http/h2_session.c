/* The HTTP/2 session on libnghttp2 (see h2_session.h): the callbacks that
 * turn frames into requests, bodies into DATA frames, and the defences.
 *
 * The defences count in eisd's own callbacks, so they hold with any
 * library version (Debian 12 has 1.52 with backports):
 * - streams: at most H2_MAX_STREAMS open and H2_STREAMS_PER_PASS new per
 *   read pass, more get RST_STREAM(REFUSED_STREAM);
 * - resets both ways (peer RST_STREAM: rapid reset, CVE-2023-44487; resets
 *   we send because of the peer's frames: MadeYouReset, CVE-2025-8671)
 *   beyond H2_RESET_SLACK more than the streams answered in full end the
 *   connection with GOAWAY(ENHANCE_YOUR_CALM);
 * - a header block is bounded before it is decoded: its frames may carry
 *   at most max_header_list bytes in at most H2_CONTINUATIONS CONTINUATION
 *   frames (CONTINUATION flood, 2024), else GOAWAY(ENHANCE_YOUR_CALM); the
 *   decoded fields are bounded again by h2_request (431), so an HPACK bomb
 *   stores nothing past the bound;
 * - control bytes (everything but HEADERS, CONTINUATION and non-empty
 *   DATA: SETTINGS, PING, WINDOW_UPDATE, PRIORITY, RST_STREAM, empty DATA,
 *   unknown frames) beyond H2_CTRL_SLACK more than the traffic explains
 *   end the connection with GOAWAY(ENHANCE_YOUR_CALM) (the 2019 flood
 *   family, CVE-2019-9511..9518). */
#include "http/h2_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "http/h2_request.h"
#include "util/list.h"

struct h2_stream {
	int32_t id;
	struct h2_req req;   /* the fields while the head arrives */
	struct h2_body body; /* what is left to send */
	bool refused;        /* reset at once; its fields are not kept */
	bool answered;
	bool sent_all;       /* the response's last frame went out */
	struct list_node node; /* in h2_session.streams */
};

struct h2_session {
	nghttp2_session *ng;
	struct h2_session_cfg cfg;
	struct h2_stats st;
	unsigned pass_streams;   /* new streams in this read pass */
	size_t block_bytes;      /* of the header block being received */
	unsigned block_frames;   /* CONTINUATION frames in it */
	uint32_t calm;           /* the GOAWAY error code we ended with, or 0 */
	bool calm_set;
	bool failed;             /* out of memory or the like: close now */
	struct list streams; /* open ones: the library does not free them */
};

static struct h2_session *session_of(void *user)
{
	return user;
}

/* A defence tripped: GOAWAY with code, read nothing more. */
static void calm_down(struct h2_session *s, uint32_t code)
{
	if (s->calm_set)
		return;
	s->calm_set = true;
	s->calm = code;
	if (nghttp2_session_terminate_session(s->ng, code))
		s->failed = true;
}

static void check_resets(struct h2_session *s)
{
	if (s->st.resets_recv + s->st.resets_sent > H2_RESET_SLACK + s->st.completed)
		calm_down(s, NGHTTP2_ENHANCE_YOUR_CALM);
}

static bool check_control(struct h2_session *s)
{
	uint64_t ctrl = s->st.ctrl_bytes;
	/* What honest traffic explains: two WINDOW_UPDATEs for each DATA
	 * frame we sent, a few frames (PRIORITY, RST_STREAM) per stream,
	 * and as much as the payload the peer sent. */
	uint64_t allowed = H2_CTRL_SLACK + 32 * s->st.data_frames_sent + 64 * s->st.streams +
			   s->st.payload_bytes;

	if (ctrl <= allowed)
		return true;
	calm_down(s, NGHTTP2_ENHANCE_YOUR_CALM);
	return false;
}

/* ---- sending ---- */

static bool out_full(const struct h2_session *s)
{
	return s->cfg.out_queued(s->cfg.arg) >= H2_OUT_HIGH;
}

static ssize_t send_cb(nghttp2_session *ng, const uint8_t *data, size_t len, int flags,
		       void *user)
{
	struct h2_session *s = session_of(user);

	if (out_full(s))
		return NGHTTP2_ERR_WOULDBLOCK;
	if (s->cfg.out(s->cfg.arg, data, len))
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	return (ssize_t)len;
}

static void body_release(struct h2_body *b)
{
	if (b->release) {
		void (*release)(void *) = b->release;
		b->release = NULL;
		release(b->arg);
	}
	b->len = 0;
}

/* Says how much of the body goes into the next DATA frame; the bytes
 * themselves are written by send_data_cb, straight into the output. */
static ssize_t read_cb(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t length,
		       uint32_t *flags, nghttp2_data_source *src, void *user)
{
	struct h2_stream *st = src->ptr;
	size_t n = length;

	if (n > H2_DATA_CHUNK)
		n = H2_DATA_CHUNK;
	if (n > st->body.len)
		n = (size_t)st->body.len;
	*flags |= NGHTTP2_DATA_FLAG_NO_COPY;
	if (n == st->body.len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

static int send_data_cb(nghttp2_session *ng, nghttp2_frame *frame, const uint8_t *framehd,
			size_t length, nghttp2_data_source *src, void *user)
{
	struct h2_session *s = session_of(user);
	struct h2_stream *st = src->ptr;
	char tmp[H2_DATA_CHUNK];
	ssize_t r;

	if (out_full(s))
		return NGHTTP2_ERR_WOULDBLOCK;
	if (length > sizeof(tmp) || length > st->body.len || frame->data.padlen)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	/* The file shrank under us, or could not be read: this stream
	 * cannot finish (nothing of the frame was written yet). */
	r = length ? st->body.pull(st->body.arg, tmp, length) : 0;
	if (r != (ssize_t)length)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	if (s->cfg.out(s->cfg.arg, framehd, 9) || s->cfg.out(s->cfg.arg, tmp, length))
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	st->body.len -= length;
	s->st.data_frames_sent++;
	return 0;
}

/* ---- receiving ---- */

static int begin_frame_cb(nghttp2_session *ng, const nghttp2_frame_hd *hd, void *user)
{
	struct h2_session *s = session_of(user);

	switch (hd->type) {
	case NGHTTP2_HEADERS:
		s->block_bytes = 0;
		s->block_frames = 0;
		/* fall through */
	case NGHTTP2_CONTINUATION:
		if (hd->type == NGHTTP2_CONTINUATION)
			s->block_frames++;
		s->block_bytes += hd->length;
		s->st.payload_bytes += 9 + hd->length;
		/* Checked before a byte of this frame is decoded. */
		if (s->block_bytes > s->cfg.max_header_list || s->block_frames > H2_CONTINUATIONS) {
			calm_down(s, NGHTTP2_ENHANCE_YOUR_CALM);
			return NGHTTP2_ERR_CALLBACK_FAILURE;
		}
		return 0;
	case NGHTTP2_DATA:
		if (hd->length) {
			s->st.payload_bytes += 9 + hd->length;
			return 0;
		}
		break; /* empty DATA is a control frame here (CVE-2019-9518) */
	default:
		break; /* SETTINGS, PING, WINDOW_UPDATE, PRIORITY, RST_STREAM, unknown... */
	}
	s->st.ctrl_bytes += 9 + hd->length;
	/* At each frame, so a flood of frames that each want an answer
	 * (PING, SETTINGS) stops before the answers pile up. */
	if (!check_control(s))
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	return 0;
}

/* Unknown frame types are registered as extensions only so that they
 * pass through begin_frame_cb and count as control bytes; each is then
 * dropped unread (RFC 9113 §4.1: ignored). */
static int ext_chunk_cb(nghttp2_session *ng, const nghttp2_frame_hd *hd, const uint8_t *data,
			size_t len, void *user)
{
	return 0;
}

static int ext_unpack_cb(nghttp2_session *ng, void **payload, const nghttp2_frame_hd *hd,
			 void *user)
{
	return NGHTTP2_ERR_CANCEL;
}

static void refuse(struct h2_session *s, struct h2_stream *st, uint32_t code)
{
	st->refused = true;
	h2_req_free(&st->req);
	if (nghttp2_submit_rst_stream(s->ng, NGHTTP2_FLAG_NONE, st->id, code))
		s->failed = true;
}

static int begin_headers_cb(nghttp2_session *ng, const nghttp2_frame *frame, void *user)
{
	struct h2_session *s = session_of(user);
	struct h2_stream *st;

	if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	st = calloc(1, sizeof(*st));
	if (!st)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	st->id = frame->hd.stream_id;
	st->req.max_bytes = s->cfg.max_header_list;
	if (nghttp2_session_set_stream_user_data(ng, st->id, st)) {
		free(st);
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	}
	list_push_front(&s->streams, &st->node);
	s->st.streams++;
	s->st.open++;
	if (s->st.open > H2_MAX_STREAMS || ++s->pass_streams > H2_STREAMS_PER_PASS)
		refuse(s, st, NGHTTP2_REFUSED_STREAM);
	return 0;
}

static int header_cb(nghttp2_session *ng, const nghttp2_frame *frame, const uint8_t *name,
		     size_t nlen, const uint8_t *value, size_t vlen, uint8_t flags, void *user)
{
	struct h2_stream *st = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);

	if (!st || st->refused || frame->hd.type != NGHTTP2_HEADERS)
		return 0; /* trailers and refused streams: decoded, not kept */
	h2_req_field(&st->req, (const char *)name, nlen, (const char *)value, vlen);
	return 0;
}

static void answer_request(struct h2_session *s, struct h2_stream *st)
{
	struct http_request req;
	int rc = h2_req_finish(&st->req, &req);

	if (rc == H2_REQ_RESET) {
		refuse(s, st, NGHTTP2_PROTOCOL_ERROR);
		return;
	}
	if (rc == 0) {
		s->cfg.on_request(s->cfg.arg, s, st->id, &req);
		if (!st->answered && !st->refused)
			h2_respond(s, st->id, 500, NULL, 0, NULL);
	} else {
		h2_respond(s, st->id, rc, NULL, 0, NULL);
		if (s->cfg.on_refused)
			s->cfg.on_refused(s->cfg.arg, &req, rc);
	}
	h2_req_free(&st->req);
}

static int frame_recv_cb(nghttp2_session *ng, const nghttp2_frame *frame, void *user)
{
	struct h2_session *s = session_of(user);
	struct h2_stream *st;

	switch (frame->hd.type) {
	case NGHTTP2_HEADERS:
		st = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
		if (st && !st->refused && !st->answered &&
		    frame->headers.cat == NGHTTP2_HCAT_REQUEST)
			answer_request(s, st);
		break;
	case NGHTTP2_RST_STREAM:
		s->st.resets_recv++;
		check_resets(s);
		break;
	default:
		break;
	}
	return s->failed ? NGHTTP2_ERR_CALLBACK_FAILURE : 0;
}

static int data_chunk_cb(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data,
			 size_t len, void *user)
{
	return 0; /* request bodies are discarded; the window reopens as we go */
}

static int frame_send_cb(nghttp2_session *ng, const nghttp2_frame *frame, void *user)
{
	struct h2_session *s = session_of(user);
	struct h2_stream *st;

	if (frame->hd.type == NGHTTP2_RST_STREAM) {
		if (frame->rst_stream.error_code != NGHTTP2_NO_ERROR) {
			s->st.resets_sent++;
			check_resets(s);
		}
		return 0;
	}
	if (!(frame->hd.flags & NGHTTP2_FLAG_END_STREAM) ||
	    (frame->hd.type != NGHTTP2_DATA && frame->hd.type != NGHTTP2_HEADERS))
		return 0;
	st = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
	if (!st)
		return 0;
	st->sent_all = true;
	/* Answered before the request body ended: tell the peer to stop
	 * sending it (RFC 9113 §8.1). */
	if (!nghttp2_session_get_stream_remote_close(ng, st->id) &&
	    nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_NO_ERROR))
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	return 0;
}

static void stream_free(struct h2_session *s, struct h2_stream *st)
{
	list_unlink(&s->streams, &st->node);
	s->st.open--;
	body_release(&st->body);
	h2_req_free(&st->req);
	free(st);
}

static int stream_close_cb(nghttp2_session *ng, int32_t id, uint32_t code, void *user)
{
	struct h2_session *s = session_of(user);
	struct h2_stream *st = nghttp2_session_get_stream_user_data(ng, id);

	if (!st)
		return 0;
	if (st->sent_all && !st->refused)
		s->st.completed++;
	nghttp2_session_set_stream_user_data(ng, id, NULL);
	stream_free(s, st);
	return 0;
}

/* ---- the session ---- */

struct h2_session *h2_session_new(const struct h2_session_cfg *cfg)
{
	struct h2_session *s = calloc(1, sizeof(*s));
	nghttp2_session_callbacks *cb = NULL;
	nghttp2_option *opt = NULL;
	nghttp2_settings_entry iv[] = {
		{ NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, H2_MAX_STREAMS },
		{ NGHTTP2_SETTINGS_ENABLE_PUSH, 0 },
		{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, NGHTTP2_INITIAL_WINDOW_SIZE },
		{ NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, (uint32_t)cfg->max_header_list },
	};
	int rv = -1;

	if (!s)
		return NULL;
	s->cfg = *cfg;
	if (nghttp2_session_callbacks_new(&cb) || nghttp2_option_new(&opt))
		goto out;
	nghttp2_session_callbacks_set_send_callback(cb, send_cb);
	nghttp2_session_callbacks_set_send_data_callback(cb, send_data_cb);
	nghttp2_session_callbacks_set_on_begin_frame_callback(cb, begin_frame_cb);
	nghttp2_session_callbacks_set_on_begin_headers_callback(cb, begin_headers_cb);
	nghttp2_session_callbacks_set_on_header_callback(cb, header_cb);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, frame_recv_cb);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, data_chunk_cb);
	nghttp2_session_callbacks_set_on_frame_send_callback(cb, frame_send_cb);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, stream_close_cb);
	nghttp2_session_callbacks_set_on_extension_chunk_recv_callback(cb, ext_chunk_cb);
	nghttp2_session_callbacks_set_unpack_extension_callback(cb, ext_unpack_cb);
	for (unsigned t = NGHTTP2_CONTINUATION + 1; t < 256; t++)
		nghttp2_option_set_user_recv_extension_type(opt, (uint8_t)t);
	/* The library's own limits sit behind ours (looser), as a second line. */
	nghttp2_option_set_max_continuations(opt, 2 * H2_CONTINUATIONS);
	nghttp2_option_set_max_settings(opt, 32);
	/* Closed streams are not kept for priority bookkeeping: memory per
	 * reset stream stays zero. */
	nghttp2_option_set_no_closed_streams(opt, 1);
	if (nghttp2_session_server_new2(&s->ng, cb, s, opt))
		goto out;
	if (nghttp2_submit_settings(s->ng, NGHTTP2_FLAG_NONE, iv, sizeof(iv) / sizeof(iv[0])))
		goto out;
	rv = 0;
out:
	nghttp2_session_callbacks_del(cb);
	nghttp2_option_del(opt);
	if (rv) {
		h2_session_free(s);
		return NULL;
	}
	return s;
}

void h2_session_free(struct h2_session *s)
{
	if (!s)
		return;
	if (s->ng)
		nghttp2_session_del(s->ng);
	while (!list_empty(&s->streams))
		stream_free(s, list_item(s->streams.head, struct h2_stream, node));
	free(s);
}

int h2_session_pump(struct h2_session *s)
{
	if (s->failed || nghttp2_session_send(s->ng))
		return -1;
	return s->failed ? -1 : 0;
}

long h2_session_input(struct h2_session *s, const char *data, size_t len)
{
	uint64_t seen;
	ssize_t n;

	s->st.in_bytes += len;
	if (s->calm_set)
		return (long)len; /* the GOAWAY is out; what follows is ignored */
	s->pass_streams = 0;
	n = nghttp2_session_mem_recv(s->ng, (const uint8_t *)data, len);
	/* Frames the library skips without a callback (DATA for a stream
	 * already closed) are neither payload nor control: a closed stream
	 * may have had a window's worth in flight, no more. (A frame is
	 * counted whole at its header, so the seen ones may exceed the
	 * input so far.) */
	seen = s->st.payload_bytes + s->st.ctrl_bytes;
	if (!s->calm_set && seen < s->st.in_bytes &&
	    s->st.in_bytes - seen >
		    H2_CTRL_SLACK + (uint64_t)NGHTTP2_INITIAL_WINDOW_SIZE * s->st.streams)
		calm_down(s, NGHTTP2_ENHANCE_YOUR_CALM);
	if (n < 0) {
		/* Ours (calm_set) sends its GOAWAY; the library's bad preface
		 * or flood ends the connection at once. */
		if (!s->calm_set || n != NGHTTP2_ERR_CALLBACK_FAILURE)
			return -1;
	}
	if (h2_session_pump(s))
		return -1;
	return (long)len;
}

bool h2_session_done(const struct h2_session *s)
{
	return !nghttp2_session_want_read(s->ng) && !nghttp2_session_want_write(s->ng);
}

unsigned h2_session_open_streams(const struct h2_session *s)
{
	return s->st.open;
}

int h2_session_shutdown(struct h2_session *s)
{
	int32_t last = nghttp2_session_get_last_proc_stream_id(s->ng);

	if (nghttp2_submit_goaway(s->ng, NGHTTP2_FLAG_NONE, last, NGHTTP2_NO_ERROR, NULL, 0))
		return -1;
	return h2_session_pump(s);
}

int h2_session_goaway(struct h2_session *s, uint32_t error_code)
{
	calm_down(s, error_code);
	return h2_session_pump(s);
}

const struct h2_stats *h2_session_stats(const struct h2_session *s)
{
	return &s->st;
}

int h2_respond(struct h2_session *s, int32_t id, int status, const struct h2_field *f, size_t n,
	       const struct h2_body *body)
{
	struct h2_stream *st = nghttp2_session_get_stream_user_data(s->ng, id);
	nghttp2_nv nv[1 + 64];
	char code[4];
	nghttp2_data_provider prd;
	int rv;

	if (!st || st->answered || st->refused || n > 64 || status < 100 || status > 999)
		goto fail;
	snprintf(code, sizeof(code), "%d", status);
	nv[0] = (nghttp2_nv){ (uint8_t *)":status", (uint8_t *)code, 7, 3, NGHTTP2_NV_FLAG_NONE };
	for (size_t i = 0; i < n; i++)
		nv[1 + i] = (nghttp2_nv){ (uint8_t *)f[i].name, (uint8_t *)f[i].value, f[i].nlen,
					  f[i].vlen, NGHTTP2_NV_FLAG_NONE };
	st->answered = true;
	if (body && body->len) {
		st->body = *body;
		prd.source.ptr = st;
		prd.read_callback = read_cb;
		rv = nghttp2_submit_response(s->ng, id, nv, 1 + n, &prd);
	} else {
		rv = nghttp2_submit_response(s->ng, id, nv, 1 + n, NULL);
		if (body) {
			struct h2_body b = *body;
			body_release(&b);
		}
	}
	if (rv) {
		body_release(&st->body);
		return -1;
	}
	return 0;
fail:
	if (body) {
		struct h2_body b = *body;
		body_release(&b);
	}
	return -1;
}
