/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_PULL_H
#define RCPTSYNC_PULL_H

/*
 * One incremental pull from one DC, for the modules of incremental pulls
 * only: incremental.c runs it and merges what it found into the cache;
 * changes.c fills it.
 */
#include <stddef.h>
#include <string.h>

#include "proxyaddr.h"
#include "objcache.h"
#include "guidset.h"
#include "spill.h"
#include "search.h"
#include "position.h"
#include "incrmode.h"

/* Room for a name from the server, escaped for a message. */
#define SHOWN_MAX 300

/* One fetch from one DC: what was asked, and what came back. */
struct pull {
	const struct ldapsync_conf *l;
	const struct incrmode *mode; /* l's row of incrmode.c */
	struct ldapsync_session *s;
	const struct objcache_mark *prior; /* where the last pull began */
	int full;			   /* do not continue it */
	const char *near;		   /* the cache: the spill goes by it */
	struct spill *fresh;		   /* qualifying objects fetched */
	struct guidset *changed;	   /* GUIDs changed, listed, reported */
	unsigned long n_changed_in;	   /* of those, now under a base */
	unsigned long containers;	   /* of those, OUs and containers */
	char container_dn[SHOWN_MAX];	   /* the first of them, escaped */
	char **norm_bases;   /* the bases, normalised (changes_dn_key) */
	struct position pos; /* where the DC is (read before any search) */
	struct ldapsync_dirsync ds; /* the cookie to continue from */
	int incremental;	    /* 1: only changes were fetched */
	int unchanged;		    /* 1: the USN had not moved */
	char why_full[600];
};

/* shown - S from the server, made safe to print (proxyaddr_escape) */
static inline const char *
shown(const char *s, char *buf)
{
	return proxyaddr_escape(s, strlen(s), buf, SHOWN_MAX);
}

#endif
