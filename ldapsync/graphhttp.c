/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	graphhttp - HTTPS requests to Microsoft Graph and its token endpoint
 * DESCRIPTION
 *	The one place libcurl is used.  One easy handle per run, so that
 *	the pages of a pull reuse one TLS connection.  Every request is
 *	bounded: https only, no redirect followed, the server's certificate
 *	always verified (the system store or tls.ca_file), TIMEOUT seconds
 *	to connect and of silence, the run's deadline for the whole, and a
 *	body size limit.  Only Retry-After and Location are kept of the
 *	headers.  libcurl uses GnuTLS here (libcurl4-gnutls-dev), the TLS
 *	stack libldap already brings.
 * OWNERSHIP
 *	struct graphhttp owns the handle; a reply owns its body.
 * DIAGNOSTICS
 *	A complete answer of any status is returned as such; the caller
 *	judges it.  No answer is TEMP (timeout, deadline, body too large,
 *	a connection cut mid-answer) or UNAVAILABLE (cannot connect, TLS
 *	refused), the message naming the URL (escaped) and libcurl's text.
 * SEE ALSO
 *	libcurl-easy(3), RFC 9110 (Retry-After), doc/microsoft-graph.md.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "clock.h"
#include "proxyaddr.h"
#include "xalloc.h"
#include "graphhttp.h"

struct graphhttp {
	CURL *curl;
	char *ca_file;
	int timeout;
	double deadline;
	size_t body_max;
	unsigned long requests; /* sent, answered or not */
};

/* One request's collected answer. */
struct answer {
	struct graphhttp_reply *r;
	size_t cap;
	size_t body_max;
	int too_big;
};

/* What a failed transfer means for the run (default: UNAVAILABLE). */
static const struct {
	CURLcode code;
	int kind;
	const char *what;
} failures[] = {
	{CURLE_OPERATION_TIMEDOUT, SYNC_ERR_TEMP, "no answer in time"},
	{CURLE_RECV_ERROR, SYNC_ERR_TEMP, "the connection broke"},
	{CURLE_PARTIAL_FILE, SYNC_ERR_TEMP, "the answer was cut short"},
	{CURLE_GOT_NOTHING, SYNC_ERR_TEMP,
	 "the server closed without "
	 "answering"},
	{CURLE_SEND_ERROR, SYNC_ERR_TEMP, "the connection broke"},
	{CURLE_COULDNT_RESOLVE_HOST, SYNC_ERR_UNAVAILABLE, "unknown host"},
	{CURLE_COULDNT_CONNECT, SYNC_ERR_UNAVAILABLE, "cannot connect"},
	{CURLE_PEER_FAILED_VERIFICATION, SYNC_ERR_UNAVAILABLE,
	 "the server's certificate is not trusted"},
};

/* graphhttp_new - see graphhttp.h */
struct graphhttp *
graphhttp_new(const char *ca_file, int timeout, double deadline,
	      size_t body_max)
{
	struct graphhttp *h = xcalloc(1, sizeof(*h));

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (h->curl = curl_easy_init()) == NULL)
		panic("graphhttp: libcurl cannot start");
	h->ca_file = ca_file ? xstrdup(ca_file) : NULL;
	h->timeout = timeout;
	h->deadline = deadline;
	h->body_max = body_max;
	return h;
}

/* graphhttp_free - see graphhttp.h */
void
graphhttp_free(struct graphhttp *h)
{
	if (h == NULL)
		return;
	curl_easy_cleanup(h->curl);
	curl_global_cleanup();
	free(h->ca_file);
	free(h);
}

/* graphhttp_reply_free - see graphhttp.h */
void
graphhttp_reply_free(struct graphhttp_reply *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

/* on_body - libcurl's write callback: append, within the limit */
static size_t
on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct answer *a = ctx;
	struct graphhttp_reply *r = a->r;

	n *= size;
	if (r->len + n > a->body_max) {
		a->too_big = 1;
		return 0; /* libcurl stops: CURLE_WRITE_ERROR */
	}
	if (r->len + n + 1 > a->cap) {
		a->cap = (r->len + n + 1) * 2;
		r->body = xreallocarray(r->body, a->cap, 1);
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

/* header_value - the value of header NAME in LINE (LEN bytes), or NULL */
static const char *
header_value(const char *line, size_t len, const char *name, size_t *vlen)
{
	size_t n = strlen(name);
	const char *v, *end = line + len;

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	for (v = line + n + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	while (end > v && isspace((unsigned char)end[-1]))
		end--;
	*vlen = (size_t)(end - v);
	return v;
}

/* on_header - libcurl's header callback: Retry-After and Location */
static size_t
on_header(char *line, size_t size, size_t n, void *ctx)
{
	struct answer *a = ctx;
	const char *v;
	size_t vlen;

	n *= size;
	if ((v = header_value(line, n, "Retry-After", &vlen)) != NULL) {
		char digits[12];

		/* delay-seconds only; an HTTP date counts as none */
		a->r->retry_after = -1;
		if (vlen > 0 && vlen < sizeof(digits) &&
		    strspn(v, "0123456789") >= vlen) {
			memcpy(digits, v, vlen);
			digits[vlen] = '\0';
			a->r->retry_after = strtol(digits, NULL, 10);
		}
	} else if ((v = header_value(line, n, "Location", &vlen)) != NULL) {
		a->r->location[0] = '\0';
		if (vlen < sizeof(a->r->location)) {
			memcpy(a->r->location, v, vlen);
			a->r->location[vlen] = '\0';
		}
	} else if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		/* a new response (after 100 Continue): its headers only */
		a->r->retry_after = -1;
		a->r->location[0] = '\0';
	}
	return n;
}

/* fail - the error for a transfer that gave no complete answer */
static int
fail(const struct graphhttp *h, const struct answer *a, const char *url,
     CURLcode rc, const char *detail, struct sync_err *err)
{
	char shown[300];
	int kind = SYNC_ERR_UNAVAILABLE;
	const char *what = "request failed";

	proxyaddr_escape(url, strlen(url), shown, sizeof(shown));
	if (a->too_big)
		return sync_err_set(err, SYNC_ERR_TEMP,
				    "%s: the answer is larger than %zu bytes",
				    shown, a->body_max);
	if (clock_seconds(CLOCK_MONOTONIC) >= h->deadline - 0.05)
		return sync_err_set(err, SYNC_ERR_TEMP,
				    "%s: the run's deadline passed while "
				    "waiting for the answer",
				    shown);
	for (size_t i = 0; i < sizeof(failures) / sizeof(failures[0]); i++)
		if (failures[i].code == rc) {
			kind = failures[i].kind;
			what = failures[i].what;
		}
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return sync_err_set(err, kind,
				    "%s: no answer within %d seconds (%s)",
				    shown, h->timeout, detail);
	return sync_err_set(err, kind, "%s: %s (%s)", shown, what,
			    detail[0] ? detail : curl_easy_strerror(rc));
}

/* request - one request on the run's handle; HEADERS and BODY optional */
static int
request(struct graphhttp *h, const char *url, struct curl_slist *headers,
	const char *post, struct graphhttp_reply *r, struct sync_err *err)
{
	struct answer a = {.r = r, .body_max = h->body_max};
	char detail[CURL_ERROR_SIZE] = "";
	double left = h->deadline - clock_seconds(CLOCK_MONOTONIC);
	CURL *c = h->curl;
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
	if (left <= 0) {
		struct answer none = {.body_max = h->body_max};

		return fail(h, &none, url, CURLE_OPERATION_TIMEDOUT, "", err);
	}
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)h->timeout);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)h->timeout);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(left * 1000) + 1);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->body_max);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "rcptsync/" RCPTSYNC_VERSION);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &a);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, detail);
	if (post != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
	h->requests++;
	rc = curl_easy_perform(c);
	if (rc == CURLE_FILESIZE_EXCEEDED)
		a.too_big = 1;
	if (rc != CURLE_OK) {
		graphhttp_reply_free(r);
		return fail(h, &a, url, rc, detail, err);
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->body == NULL)
		r->body = xstrdup("");
	return 0;
}

/* graphhttp_requests - see graphhttp.h */
unsigned long
graphhttp_requests(const struct graphhttp *h)
{
	return h->requests;
}

/* graphhttp_get - see graphhttp.h */
int
graphhttp_get(struct graphhttp *h, const char *url, const char *bearer,
	      struct graphhttp_reply *r, struct sync_err *err)
{
	struct curl_slist *headers = NULL;
	char *auth = NULL;
	int rc;

	headers = curl_slist_append(headers, "Accept: application/json");
	if (bearer != NULL) {
		size_t n = strlen(bearer) + sizeof("Authorization: Bearer ");

		auth = xmalloc(n);
		snprintf(auth, n, "Authorization: Bearer %s", bearer);
		headers = curl_slist_append(headers, auth);
	}
	if (headers == NULL)
		panic("graphhttp: out of memory");
	rc = request(h, url, headers, NULL, r, err);
	curl_slist_free_all(headers);
	if (auth != NULL) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	return rc;
}

/* graphhttp_post_form - see graphhttp.h */
int
graphhttp_post_form(struct graphhttp *h, const char *url,
		    const char *const *form, struct graphhttp_reply *r,
		    struct sync_err *err)
{
	struct curl_slist *headers = NULL;
	char *body = xstrdup(""), *name, *value;
	size_t used = 0;
	int rc;

	for (size_t i = 0; form[i] != NULL && form[i + 1] != NULL; i += 2) {
		size_t n;

		name = curl_easy_escape(h->curl, form[i], 0);
		value = curl_easy_escape(h->curl, form[i + 1], 0);
		if (name == NULL || value == NULL)
			panic("graphhttp: out of memory");
		n = used + strlen(name) + strlen(value) + 3;
		body = xreallocarray(body, n, 1);
		used += (size_t)snprintf(body + used, n - used, "%s%s=%s",
					 used ? "&" : "", name, value);
		explicit_bzero(value, strlen(value));
		curl_free(name);
		curl_free(value);
	}
	headers = curl_slist_append(headers, "Accept: application/json");
	if (headers == NULL)
		panic("graphhttp: out of memory");
	rc = request(h, url, headers, body, r, err);
	curl_slist_free_all(headers);
	explicit_bzero(body, used);
	free(body);
	return rc;
}
