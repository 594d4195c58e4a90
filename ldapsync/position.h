/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_POSITION_H
#define RCPTSYNC_POSITION_H

/* Where a DC is, for incremental pulls only (incremental.c). */
#include "pull.h"

/*
 * position_read - P's DC, invocationId, highestCommittedUSN and naming
 *	context, read through P's session.  Returns 0, or -1 with a TEMP
 *	error (no answer) or a CONFIG one (not an AD DC).
 */
int position_read(struct pull *p, struct sync_err *err)
	__attribute__((warn_unused_result));

/*
 * position_decide - P->incremental: 1 when P may continue the pull of
 *	P->prior, else 0 with P->why_full saying why (said by the caller
 *	already when P->full)
 */
void position_decide(struct pull *p);

#endif
