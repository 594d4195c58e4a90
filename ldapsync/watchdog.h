/* SPDX-License-Identifier: MIT */
#ifndef RCPTSYNC_WATCHDOG_H
#define RCPTSYNC_WATCHDOG_H

/*
 * The SIGALRM watchdog that cuts a stalled connection, for the modules of
 * ldapsync/ only (session.c, search.c, range.c, position.c, dcfind.c).
 * Process-global: one session at a time owns it.
 */
#include <resolv.h>
#include <signal.h>

#include <ldap.h>

/* Set by the watchdog's SIGALRM when it cut a stall (the caller clears it
 * before a blocking call). */
extern volatile sig_atomic_t watchdog_fired;

/* Set by watchdog_conncb once TCP is up (the caller clears it before a
 * connect): a failure after it on ldaps:// is TLS's. */
extern volatile sig_atomic_t watchdog_tcp_connected;

/* LDAP_OPT_CONNECT_CB for every handle: tells the watchdog its socket. */
extern struct ldap_conncb watchdog_conncb;

/* watchdog_arm - SIGALRM in SECONDS (0: disarm); watchdog_kick - the same,
 *	re-armed at most once a second while answers keep coming */
void watchdog_arm(int seconds);
void watchdog_kick(int seconds);

/*
 * watchdog_arm_resolver - SIGALRM in SECONDS, then every second until
 *	watchdog_arm(0), each cutting RES's TCP connection: bounds a
 *	res_nquery() on a server that accepts TCP and never answers (glibc
 *	retries read() on EINTR, so the signal alone does not end it).  RES
 *	must stay valid until watchdog_arm(0).
 */
void watchdog_arm_resolver(struct __res_state *res, int seconds);

/*
 * watchdog_install - SIGALRM to the watchdog, its old action into *OLD;
 *	watchdog_restore - that action back
 */
void watchdog_install(struct sigaction *old);
void watchdog_restore(const struct sigaction *old);

#endif
