/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	graphtoken - an app-only access token for Microsoft Graph
 * DESCRIPTION
 *	The OAuth 2.0 client credentials grant at
 *	{login_url}/{tenant}/oauth2/v2.0/token with scope
 *	{graph_url}/.default, proving the app either with its client
 *	secret or, better, with a client assertion: a JWT signed with the
 *	certificate's RSA key, PS256 (RSASSA-PSS, SHA-256, MGF1-SHA-256, a
 *	32-byte salt: RFC 7518 section 3.5), header x5t#S256 (the SHA-256
 *	of the DER certificate), aud the token URL, iss = sub = client_id,
 *	a fresh random jti, nbf = iat = now, exp 5 minutes after.  The
 *	token is kept for the run; a 401 from Graph asks for a new one.
 *	The credential files are checked as bind.password_file is
 *	(secret.c: regular, ours or root's, no group or other bits).
 * OWNERSHIP
 *	struct graphtoken owns the key, the secret and the token, and wipes
 *	the secret and the token when freed.
 * DIAGNOSTICS
 *	AUTH for an unsafe or unusable credential or refused credentials
 *	(the endpoint's error code and description, escaped); TEMP for 429
 *	and 5xx; UNAVAILABLE for a malformed answer, naming the URL.
 * SEE ALSO
 *	RFC 6749 section 4.4, RFC 7523, RFC 7515, RFC 7518,
 *	doc/microsoft-graph.md (App-only authentication).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <jansson.h>

#include "proxyaddr.h"
#include "secret.h"
#include "xalloc.h"
#include "graphtoken.h"

/* exp - nbf of the assertion: Entra ID takes at most 10 minutes */
#define GRAPHTOKEN_ASSERTION_LIFETIME 300
/* The longest access token taken (they are about 2 KB) */
#define GRAPHTOKEN_MAX 16384
/* The longest PEM file read (a certificate chain and a 4096-bit key) */
#define GRAPHTOKEN_PEM_MAX 65536

struct graphtoken {
	const struct graph_conf *conf;
	char *url;	      /* the token endpoint */
	gnutls_privkey_t key; /* certificate: its key, once loaded */
	char *x5t;	      /* base64url SHA-256 of the DER cert */
	char *secret;	      /* client secret, once read */
	size_t secret_len;
	char *token; /* the access token, once got */
	char credential[160];
};

/* graphtoken_base64url - see graphtoken.h */
char *
graphtoken_base64url(const unsigned char *data, size_t len)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "abcdefghijklmnopqrstuvwxyz0123456789-_";
	char *out = xmalloc(len / 3 * 4 + 5), *p = out;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		unsigned long v = (unsigned long)data[i] << 16 |
				  (unsigned long)data[i + 1] << 8 | data[i + 2];

		*p++ = digits[v >> 18 & 63];
		*p++ = digits[v >> 12 & 63];
		*p++ = digits[v >> 6 & 63];
		*p++ = digits[v & 63];
	}
	if (i < len) {
		unsigned long v = (unsigned long)data[i] << 16;

		if (i + 1 < len)
			v |= (unsigned long)data[i + 1] << 8;
		*p++ = digits[v >> 18 & 63];
		*p++ = digits[v >> 12 & 63];
		if (i + 1 < len)
			*p++ = digits[v >> 6 & 63];
	}
	*p = '\0';
	return out;
}

/* graphtoken_new - see graphtoken.h */
struct graphtoken *
graphtoken_new(const struct graph_conf *conf)
{
	struct graphtoken *t = xcalloc(1, sizeof(*t));
	size_t n = strlen(conf->login_url) + strlen(conf->tenant) + 32;

	t->conf = conf;
	t->url = xmalloc(n);
	snprintf(t->url, n, "%s/%s/oauth2/v2.0/token", conf->login_url,
		 conf->tenant);
	return t;
}

/* wipe_free - zero and free a NUL-terminated secret; NULL is ok */
static void
wipe_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* graphtoken_free - see graphtoken.h */
void
graphtoken_free(struct graphtoken *t)
{
	if (t == NULL)
		return;
	if (t->key != NULL)
		gnutls_privkey_deinit(t->key);
	secret_free(t->secret, t->secret_len);
	wipe_free(t->token);
	free(t->x5t);
	free(t->url);
	free(t);
}

/* graphtoken_credential - see graphtoken.h */
const char *
graphtoken_credential(const struct graphtoken *t)
{
	return t->credential;
}

/* load_pem - a credential file, checked as a secret, into *D */
static int
load_pem(const char *spec, const char *what, gnutls_datum_t *d,
	 struct sync_err *err)
{
	char path[4096];
	int rc;

	if (secret_check_path(spec, path, sizeof(path), err) < 0)
		return sync_err_prefix(err, "%s", what);
	if ((rc = gnutls_load_file(path, d)) < 0)
		return sync_err_set(err, SYNC_ERR_AUTH, "%s %s: %s", what, path,
				    gnutls_strerror(rc));
	if (d->size > GRAPHTOKEN_PEM_MAX) {
		gnutls_free(d->data);
		d->data = NULL;
		return sync_err_set(err, SYNC_ERR_AUTH,
				    "%s %s: larger than %d bytes", what, path,
				    GRAPHTOKEN_PEM_MAX);
	}
	return 0;
}

/* free_pem - wipe and free what load_pem read */
static void
free_pem(gnutls_datum_t *d)
{
	if (d->data == NULL)
		return;
	explicit_bzero(d->data, d->size);
	gnutls_free(d->data);
	d->data = NULL;
}

/* cert_thumbprint - x5t#S256 of the PEM certificate in D */
static int
cert_thumbprint(struct graphtoken *t, const gnutls_datum_t *d,
		gnutls_x509_crt_t crt, struct sync_err *err)
{
	unsigned char fp[32];
	size_t size = sizeof(fp);
	int rc;

	if ((rc = gnutls_x509_crt_import(crt, d, GNUTLS_X509_FMT_PEM)) < 0 ||
	    (rc = gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp,
						  &size)) < 0)
		return sync_err_set(err, SYNC_ERR_AUTH,
				    "source.graph.certificate_file: no PEM "
				    "certificate (%s)",
				    gnutls_strerror(rc));
	t->x5t = graphtoken_base64url(fp, size);
	return 0;
}

/* import_key - the RSA key in D, which must be the certificate's */
static int
import_key(struct graphtoken *t, const gnutls_datum_t *d, gnutls_x509_crt_t crt,
	   struct sync_err *err)
{
	gnutls_x509_privkey_t xkey;
	unsigned char kid[64], cid[64];
	size_t klen = sizeof(kid), clen = sizeof(cid);
	int rc;

	if (gnutls_x509_privkey_init(&xkey) < 0)
		panic("graphtoken: out of memory");
	if ((rc = gnutls_x509_privkey_import2(xkey, d, GNUTLS_X509_FMT_PEM,
					      NULL, 0)) < 0) {
		gnutls_x509_privkey_deinit(xkey);
		return sync_err_set(err, SYNC_ERR_AUTH,
				    "source.graph: no unencrypted PEM private "
				    "key in %s (%s)",
				    t->conf->key_file ? "key_file"
						      : "certificate_file",
				    gnutls_strerror(rc));
	}
	if (gnutls_x509_privkey_get_pk_algorithm(xkey) != GNUTLS_PK_RSA ||
	    gnutls_x509_privkey_get_key_id(xkey, 0, kid, &klen) < 0 ||
	    gnutls_x509_crt_get_key_id(crt, 0, cid, &clen) < 0 ||
	    klen != clen || memcmp(kid, cid, klen) != 0) {
		gnutls_x509_privkey_deinit(xkey);
		return sync_err_set(err, SYNC_ERR_AUTH,
				    "source.graph: the private key is not the "
				    "certificate's RSA key (PS256 needs RSA)");
	}
	if (gnutls_privkey_init(&t->key) < 0 ||
	    gnutls_privkey_import_x509(t->key, xkey,
				       GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE) < 0)
		panic("graphtoken: cannot take the key");
	return 0;
}

/* load_certificate - certificate_file (and key_file): key and x5t */
static int
load_certificate(struct graphtoken *t, struct sync_err *err)
{
	const struct graph_conf *c = t->conf;
	gnutls_datum_t cert = {NULL, 0}, key = {NULL, 0};
	gnutls_x509_crt_t crt;
	int rc = -1;

	if (gnutls_x509_crt_init(&crt) < 0)
		panic("graphtoken: out of memory");
	if (load_pem(c->certificate_file, "source.graph.certificate_file",
		     &cert, err) < 0 ||
	    (c->key_file != NULL &&
	     load_pem(c->key_file, "source.graph.key_file", &key, err) < 0))
		goto out;
	if (cert_thumbprint(t, &cert, crt, err) < 0 ||
	    import_key(t, c->key_file ? &key : &cert, crt, err) < 0)
		goto out;
	snprintf(t->credential, sizeof(t->credential),
		 "certificate (x5t#S256 %s)", t->x5t);
	rc = 0;
out:
	free_pem(&cert);
	free_pem(&key);
	gnutls_x509_crt_deinit(crt);
	return rc;
}

/* encode_json - a JSON object as base64url of its compact text */
static char *
encode_json(json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT);
	char *out;

	if (text == NULL)
		panic("graphtoken: cannot encode JSON");
	out = graphtoken_base64url((const unsigned char *)text, strlen(text));
	free(text);
	json_decref(obj);
	return out;
}

/* jti - a fresh random id (a UUID version 4's shape) */
static void
make_jti(char *out, size_t size)
{
	unsigned char r[16];

	if (gnutls_rnd(GNUTLS_RND_NONCE, r, sizeof(r)) < 0)
		panic("graphtoken: no random bytes");
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	snprintf(out, size,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9],
		 r[10], r[11], r[12], r[13], r[14], r[15]);
}

/* assertion - the signed client assertion (a JWT); the caller frees it */
static char *
assertion(const struct graphtoken *t)
{
	char jti[40], *head, *claims, *input, *sig64, *jwt;
	json_int_t now = (json_int_t)time(NULL);
	gnutls_datum_t data, sig;
	size_t n;

	make_jti(jti, sizeof(jti));
	head = encode_json(json_pack("{s:s, s:s, s:s}", "alg", "PS256", "typ",
				     "JWT", "x5t#S256", t->x5t));
	claims = encode_json(json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}",
				       "aud", t->url, "iss", t->conf->client_id,
				       "sub", t->conf->client_id, "jti", jti,
				       "nbf", now, "iat", now, "exp",
				       now + GRAPHTOKEN_ASSERTION_LIFETIME));
	n = strlen(head) + strlen(claims) + 2;
	input = xmalloc(n);
	snprintf(input, n, "%s.%s", head, claims);
	data.data = (unsigned char *)input;
	data.size = (unsigned)strlen(input);
	/* GnuTLS's RSA-PSS salt is the digest's size: 32 bytes, RFC 7518 */
	if (gnutls_privkey_sign_data2(t->key, GNUTLS_SIGN_RSA_PSS_RSAE_SHA256,
				      0, &data, &sig) < 0)
		panic("graphtoken: cannot sign the assertion");
	sig64 = graphtoken_base64url(sig.data, sig.size);
	gnutls_free(sig.data);
	n = strlen(input) + strlen(sig64) + 2;
	jwt = xmalloc(n);
	snprintf(jwt, n, "%s.%s", input, sig64);
	free(head);
	free(claims);
	free(input);
	free(sig64);
	return jwt;
}

/* load_credential - read the secret or the certificate, once a run */
static int
load_credential(struct graphtoken *t, struct sync_err *err)
{
	if (t->key != NULL || t->secret != NULL)
		return 0;
	if (t->conf->certificate_file != NULL)
		return load_certificate(t, err);
	if (secret_read(t->conf->client_secret_file, &t->secret, &t->secret_len,
			err) < 0)
		return sync_err_prefix(err, "source.graph.client_secret_file");
	snprintf(t->credential, sizeof(t->credential), "client secret");
	return 0;
}

/* refused - the endpoint's error code and description, escaped */
static int
refused(const struct graphtoken *t, const struct graphhttp_reply *r, int kind,
	struct sync_err *err)
{
	char code[80] = "", desc[300] = "", url[200];
	json_t *root =
		json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, NULL);
	const char *s;

	proxyaddr_escape(t->url, strlen(t->url), url, sizeof(url));
	if (root != NULL &&
	    (s = json_string_value(json_object_get(root, "error"))) != NULL)
		proxyaddr_escape(s, strlen(s), code, sizeof(code));
	if (root != NULL && (s = json_string_value(json_object_get(
				     root, "error_description"))) != NULL)
		proxyaddr_escape(s, strlen(s), desc, sizeof(desc));
	json_decref(root);
	return sync_err_set(err, kind,
			    "%s refused the token request (HTTP %ld): %s%s%s",
			    url, r->status, code[0] ? code : "no error code",
			    desc[0] ? ": " : "", desc);
}

/* take_token - the access_token of a 200 answer */
static int
take_token(struct graphtoken *t, const struct graphhttp_reply *r,
	   struct sync_err *err)
{
	json_t *root =
		json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, NULL);
	const char *s =
		json_string_value(json_object_get(root, "access_token"));
	size_t n = s ? strlen(s) : 0;
	char url[200];

	/* it goes into a header line: printable ASCII, no space */
	if (s == NULL || n == 0 || n > GRAPHTOKEN_MAX ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789-._~+/=") != n) {
		json_decref(root);
		proxyaddr_escape(t->url, strlen(t->url), url, sizeof(url));
		return sync_err_set(err, SYNC_ERR_UNAVAILABLE,
				    "%s: malformed token answer (no usable "
				    "access_token)",
				    url);
	}
	wipe_free(t->token);
	t->token = xstrdup(s);
	json_decref(root);
	return 0;
}

/* request_token - one POST to the token endpoint */
static int
request_token(struct graphtoken *t, struct graphhttp *h, struct sync_err *err)
{
	char *scope, *jwt = NULL;
	const char *form[12];
	struct graphhttp_reply r;
	size_t n = strlen(t->conf->graph_url) + sizeof("/.default"), i = 0;
	int rc;

	scope = xmalloc(n);
	snprintf(scope, n, "%s/.default", t->conf->graph_url);
	form[i++] = "grant_type";
	form[i++] = "client_credentials";
	form[i++] = "client_id";
	form[i++] = t->conf->client_id;
	form[i++] = "scope";
	form[i++] = scope;
	if (t->key != NULL) {
		jwt = assertion(t);
		form[i++] = "client_assertion_type";
		form[i++] = "urn:ietf:params:oauth:client-assertion-type:"
			    "jwt-bearer";
		form[i++] = "client_assertion";
		form[i++] = jwt;
	} else {
		form[i++] = "client_secret";
		form[i++] = t->secret;
	}
	form[i] = NULL;
	rc = graphhttp_post_form(h, t->url, form, &r, err);
	free(scope);
	free(jwt);
	if (rc < 0)
		return -1;
	if (r.status == 200)
		rc = take_token(t, &r, err);
	else if (r.status == 429 || r.status >= 500)
		rc = refused(t, &r, SYNC_ERR_TEMP, err);
	else if (r.status >= 400 && r.status < 500)
		rc = refused(t, &r, SYNC_ERR_AUTH, err);
	else
		rc = refused(t, &r, SYNC_ERR_UNAVAILABLE, err);
	graphhttp_reply_free(&r);
	return rc;
}

/* graphtoken_get - see graphtoken.h */
int
graphtoken_get(struct graphtoken *t, struct graphhttp *h, int renew,
	       const char **bearer, struct sync_err *err)
{
	if (t->token == NULL || renew) {
		if (load_credential(t, err) < 0 || request_token(t, h, err) < 0)
			return -1;
	}
	*bearer = t->token;
	return 0;
}
