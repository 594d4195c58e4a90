/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	graphpage - one page of a Microsoft Graph collection, decoded
 * DESCRIPTION
 *	The one place a Graph page's JSON is read (jansson): its objects'
 *	id, userType, proxyAddresses and @removed (delta rounds), and the
 *	@odata.nextLink or @odata.deltaLink.  The
 *	text is hostile data: jansson refuses invalid UTF-8 and, asked,
 *	duplicate keys; \u0000 is let through to the values so that the
 *	address rules refuse it with a warning naming the object, as they
 *	do for AD.  Other properties are ignored.
 * OWNERSHIP
 *	Pure: memory in, callbacks out; jansson's tree is freed before
 *	returning.
 * DIAGNOSTICS
 *	UNAVAILABLE "malformed page: ..." with what was wrong (the caller
 *	names the URL).
 * SEE ALSO
 *	doc/microsoft-graph.md, OData JSON Format 4.01 (nextLink),
 *	tests/integration/graph_schema.txt (the properties Graph sends).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "proxyaddr.h"
#include "xalloc.h"
#include "graphpage.h"

/* malformed - the page is not what Graph sends */
static int
malformed(struct sync_err *err, const char *what, size_t index)
{
	return sync_err_set(err, SYNC_ERR_UNAVAILABLE,
			    "malformed page: %s (object %zu)", what, index);
}

/* take_object - one element of "value" to FN */
static int
take_object(json_t *o, size_t index, graphpage_fn fn, void *ctx,
	    struct sync_err *err)
{
	json_t *id = json_object_get(o, "id");
	json_t *type = json_object_get(o, "userType");
	json_t *pa = json_object_get(o, "proxyAddresses");
	json_t *removed = json_object_get(o, "@removed");
	struct graphpage_object obj = {0};
	size_t n = 0, i, *lens;
	json_t *v;
	int rc;

	if (!json_is_object(o))
		return malformed(err, "not an object", index);
	if (!json_is_string(id) || json_string_length(id) == 0 ||
	    json_string_length(id) > GRAPHPAGE_ID_MAX ||
	    strlen(json_string_value(id)) != json_string_length(id))
		return malformed(err, "no usable id", index);
	if (type != NULL && !json_is_string(type) && !json_is_null(type))
		return malformed(err, "userType is not a string", index);
	if (pa != NULL && !json_is_array(pa) && !json_is_null(pa))
		return malformed(err, "proxyAddresses is not an array", index);
	if (removed != NULL && !json_is_object(removed))
		return malformed(err, "@removed is not an object", index);
	obj.id = json_string_value(id);
	obj.removed = removed != NULL;
	obj.guest = json_is_string(type) &&
		    strcmp(json_string_value(type), "Guest") == 0;
	if (json_is_array(pa))
		n = json_array_size(pa);
	obj.values = xcalloc(n + 1, sizeof(*obj.values));
	obj.lens = lens = xcalloc(n + 1, sizeof(*lens));
	json_array_foreach(pa, i, v)
	{
		if (!json_is_string(v)) {
			free(obj.values);
			free(lens);
			return malformed(err,
					 "a proxyAddresses value is not "
					 "a string",
					 index);
		}
		obj.values[i] = json_string_value(v);
		lens[i] = json_string_length(v);
	}
	obj.n_values = n;
	rc = fn(ctx, &obj);
	free(obj.values);
	free(lens);
	return rc;
}

/* is_link - a nextLink or deltaLink: a non-empty string without NUL */
static int
is_link(json_t *link)
{
	return json_is_string(link) && json_string_length(link) > 0 &&
	       strlen(json_string_value(link)) == json_string_length(link);
}

/* graphpage_parse - see graphpage.h */
int
graphpage_parse(const char *body, size_t len, graphpage_fn fn, void *ctx,
		struct graphpage_links *links, struct sync_err *err)
{
	json_error_t jerr;
	char shown[200];
	json_t *root, *value, *link, *dlink, *o;
	size_t i;
	int rc = 0;

	links->next = links->delta = NULL;
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
			  &jerr);
	if (root == NULL)
		return sync_err_set(err, SYNC_ERR_UNAVAILABLE,
				    "malformed page: %s at byte %d",
				    proxyaddr_escape(jerr.text,
						     strlen(jerr.text), shown,
						     sizeof(shown)),
				    jerr.position);
	value = json_object_get(root, "value");
	link = json_object_get(root, "@odata.nextLink");
	dlink = json_object_get(root, "@odata.deltaLink");
	if (!json_is_object(root) || !json_is_array(value))
		rc = sync_err_set(err, SYNC_ERR_UNAVAILABLE,
				  "malformed page: no \"value\" array");
	else if (link != NULL && !is_link(link))
		rc = sync_err_set(err, SYNC_ERR_UNAVAILABLE,
				  "malformed page: @odata.nextLink is not a "
				  "URL");
	else if (dlink != NULL && !is_link(dlink))
		rc = sync_err_set(err, SYNC_ERR_UNAVAILABLE,
				  "malformed page: @odata.deltaLink is not a "
				  "URL");
	else if (link != NULL && dlink != NULL)
		rc = sync_err_set(err, SYNC_ERR_UNAVAILABLE,
				  "malformed page: both @odata.nextLink and "
				  "@odata.deltaLink");
	json_array_foreach(value, i, o)
	{
		if (rc < 0)
			break;
		rc = take_object(o, i, fn, ctx, err);
	}
	if (rc == 0 && link != NULL)
		links->next = xstrdup(json_string_value(link));
	if (rc == 0 && dlink != NULL)
		links->delta = xstrdup(json_string_value(dlink));
	json_decref(root);
	return rc;
}

/* graphpage_error - see graphpage.h */
void
graphpage_error(const char *body, size_t len, char *code, size_t code_size,
		char *msg, size_t msg_size)
{
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *e = json_object_get(root, "error");
	const char *s;

	code[0] = msg[0] = '\0';
	if ((s = json_string_value(json_object_get(e, "code"))) != NULL)
		proxyaddr_escape(s, strlen(s), code, code_size);
	if ((s = json_string_value(json_object_get(e, "message"))) != NULL)
		proxyaddr_escape(s, strlen(s), msg, msg_size);
	json_decref(root);
}
