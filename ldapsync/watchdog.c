/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	watchdog - cut a stalled connection with SIGALRM
 * DESCRIPTION
 *	libldap 2.5 (Debian 12) busy-loops in the TLS handshake when a
 *	server accepts TCP but never answers (a hung or SIGSTOPped DC):
 *	LDAP_OPT_NETWORK_TIMEOUT does not bound that loop (2.6 does).  So
 *	every blocking libldap call runs under a watchdog: SIGALRM after
 *	"timeout" seconds shuts the socket down (shutdown(2) is
 *	async-signal-safe), which turns the stall into an error that the
 *	caller reports as a timeout (watchdog_fired).  The socket comes from
 *	LDAP_OPT_CONNECT_CB (watchdog_conncb).
 *	The DNS lookups of DC discovery (dcfind.c) run under it too: glibc's
 *	resolver waits without a timeout of its own for an answer over TCP
 *	(after a truncated one over UDP), and retries read() on EINTR; so
 *	SIGALRM shuts the resolver's TCP socket down, once a second until
 *	disarmed, since the resolver may try the next server the same way.
 * OWNERSHIP
 *	Process-global: a session owns SIGALRM from ldapsync_open() to
 *	ldapsync_close() (watchdog_install, watchdog_restore), one session
 *	at a time.
 * DIAGNOSTICS
 *	None of its own: the caller reads watchdog_fired.
 * SEE ALSO
 *	session.c, dcfind.c, setitimer(2), shutdown(2); glibc
 *	resolv/res_send.c (send_vc).
 */
#include <resolv.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <ldap.h>

#include "watchdog.h"

/* The socket of the current session and whether the watchdog fired. */
static volatile sig_atomic_t watchdog_fd = -1;
volatile sig_atomic_t watchdog_fired;
/* The resolver whose TCP socket to cut (watchdog_arm_resolver), or NULL. */
static struct __res_state *volatile watchdog_res;
/* Whether the timer is set (watchdog_kick). */
static int watchdog_armed;
/* Set once TCP is up: a failure after it on ldaps:// is TLS's. */
volatile sig_atomic_t watchdog_tcp_connected;

/* on_alarm - the watchdog: cut the stalled connection */
static void
on_alarm(int sig)
{
	(void)sig;
	watchdog_fired = 1;
	if (watchdog_fd >= 0)
		shutdown(watchdog_fd, SHUT_RDWR);
	/* XXX _vcsock is glibc's "PRIVATE" field, but the only way to the
	 * socket send_vc() reads; -1 when no TCP connection is open */
	if (watchdog_res != NULL && watchdog_res->_vcsock >= 0)
		shutdown(watchdog_res->_vcsock, SHUT_RDWR);
}

/* watchdog_arm - SIGALRM in SECONDS (0: disarm) */
void
watchdog_arm(int seconds)
{
	struct itimerval it;

	watchdog_armed = seconds > 0;
	watchdog_res = NULL;
	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = seconds;
	setitimer(ITIMER_REAL, &it, NULL);
}

/* watchdog_arm_resolver - SIGALRM in SECONDS, then each second; cuts RES */
void
watchdog_arm_resolver(struct __res_state *res, int seconds)
{
	struct itimerval it;

	watchdog_arm(0);
	watchdog_fired = 0;
	watchdog_res = res;
	watchdog_armed = 1;
	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = seconds > 0 ? seconds : 1;
	it.it_interval.tv_sec = 1;
	setitimer(ITIMER_REAL, &it, NULL);
}

/*
 * watchdog_kick - keep SIGALRM SECONDS away while answers keep coming.
 * Re-arms at most once a second: setitimer(2) for each of a million
 * entries cost 8% of a full pull (bench/README.md).  A stall is thus cut
 * after SECONDS to SECONDS + 1.
 */
void
watchdog_kick(int seconds)
{
	static struct timespec last;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec == last.tv_sec && watchdog_armed)
		return;
	last = now;
	watchdog_arm(seconds);
}

/* conn_add - LDAP_OPT_CONNECT_CB: remember the socket for the watchdog */
static int
conn_add(LDAP *ld, Sockbuf *sb, LDAPURLDesc *srv, struct sockaddr *addr,
	 struct ldap_conncb *ctx)
{
	ber_socket_t fd;

	(void)ld, (void)srv, (void)addr, (void)ctx;
	if (ber_sockbuf_ctrl(sb, LBER_SB_OPT_GET_FD, &fd) == 1)
		watchdog_fd = fd;
	watchdog_tcp_connected = 1;
	return 0;
}

/* conn_del - the socket is going away */
static void
conn_del(LDAP *ld, Sockbuf *sb, struct ldap_conncb *ctx)
{
	(void)ld, (void)sb, (void)ctx;
	watchdog_fd = -1;
}

struct ldap_conncb watchdog_conncb = {conn_add, conn_del, NULL};

/* watchdog_install - SIGALRM to the watchdog; the old action into *OLD */
void
watchdog_install(struct sigaction *old)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, old);
}

/* watchdog_restore - SIGALRM as it was before watchdog_install() */
void
watchdog_restore(const struct sigaction *old)
{
	sigaction(SIGALRM, old, NULL);
}
