/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * main.c - fwdguard, the daemon: options, configuration, socket,
 * privileges, then libmilter's main loop.
 *
 * Start-up order is deliberate: everything that needs root (socket, spool
 * and pid file ownership) happens first, then the process forks into the
 * background and drops privileges, and only then are threads started
 * (audit shipper, reload), since fork and setuid do not mix with threads.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "act.h"
#include "audit.h"
#include "callbacks.h"
#include "cfg.h"
#include "correlate.h"
#include "directory.h"
#include "log.h"
#include "metrics_daemon.h"
#include "metrics_http.h"
#include "reload.h"
#include "readahead.h"
#include "worker_stack.h"

struct main_opts {
	const char *config;
	const char *socket;
	const char *user;
	const char *pidfile;
	bool check_only;
	bool foreground;
	int verbose;
};

static void
main_usage(FILE *out)
{
	fprintf(out,
	    "usage: fwdguard [-fhnvV] [-c config] [-p socket] [-u user] [-P pidfile]\n"
	    "  -c FILE   configuration (default " CFG_DEFAULT_PATH ")\n"
	    "  -n        check the configuration and exit (0 valid, 1 invalid)\n"
	    "  -f        stay in the foreground, log to stderr too\n"
	    "  -p SOCKET milter socket (unix:/path, inet:port@host, inet6:port@host)\n"
	    "  -u USER   run as USER after opening the socket\n"
	    "  -P FILE   write the process id to FILE\n"
	    "  -v        more logging (debug)\n"
	    "  -V        print the version and exit (also --version)\n"
	    "  -h        print this text and exit (also --help)\n");
}

/* Names what getopt stopped on: a long option as written, else the letter. */
static void
main_bad_option(const char *arg)
{
	if (strncmp(arg, "--", 2) == 0)
		fprintf(stderr, "fwdguard: unknown option %.*s\n", (int)strcspn(arg, "="), arg);
	else if (optopt != 0 && strchr("cpuP", optopt) != NULL)
		fprintf(stderr, "fwdguard: option -%c needs an argument\n", optopt);
	else
		fprintf(stderr, "fwdguard: unknown option -%c\n", optopt);
	main_usage(stderr);
}

static int
main_parse(int argc, char **argv, struct main_opts *o)
{
	static const struct option long_options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->config = CFG_DEFAULT_PATH;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "c:fhnp:u:vP:V", long_options, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'f': o->foreground = true; break;
		case 'n': o->check_only = true; break;
		case 'p': o->socket = optarg; break;
		case 'u': o->user = optarg; break;
		case 'P': o->pidfile = optarg; break;
		case 'v': o->verbose++; break;
		case 'V':
			printf("fwdguard %s (libmilter %d)\n", PACKAGE_VERSION, SMFI_VERSION);
			exit(0);
		case 'h':
			main_usage(stdout);
			exit(0);
		default:
			main_bad_option(argv[optind - 1]);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "fwdguard: unexpected argument \"%s\"\n", argv[optind]);
		main_usage(stderr);
		return -1;
	}
	return 0;
}

static void
main_config_error(void *ctx, const char *line)
{
	fprintf(stderr, "fwdguard: %s\n", line);
	syslog(LOG_ERR, "config: %s", line);
}

/* The path of a "unix:" or "local:" socket spec, or NULL for inet. */
static const char *
main_unix_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	if (spec[0] == '/')
		return spec;
	return NULL;
}

/*
 * Creates dir (one level) when missing; gives it to pw when it was created
 * here or when always_chown (the spool must be writable after the drop).
 */
static int
main_ensure_dir(const char *dir, mode_t mode, const struct passwd *pw, bool always_chown)
{
	struct stat st;
	bool created = false;

	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			log_errx("%s: not a directory", dir);
			return -1;
		}
	} else if (mkdir(dir, mode) != 0) {
		log_err("cannot create %s", dir);
		return -1;
	} else
		created = true;
	if ((created || always_chown) && pw != NULL && geteuid() == 0 && chown(dir, pw->pw_uid, pw->pw_gid) != 0) {
		log_err("cannot give %s to %s", dir, pw->pw_name);
		return -1;
	}
	return 0;
}

static int
main_socket_dir(const char *path, const struct passwd *pw)
{
	char dir[4096];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	return main_ensure_dir(dir, 0755, pw, false);
}

/*
 * libmilter removes the unix socket it is told to open, whoever listens on
 * it: a second start (an admin trying the command by hand beside the
 * service) would cut the running filter off from Postfix, which then
 * answers 451 to all mail.  A socket that accepts a connection belongs to
 * a running filter and is left alone; one that refuses it is stale.
 */
static bool
main_socket_in_use(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	bool in_use;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return false;	/* libmilter refuses it with its own error */
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return false;
	in_use = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return in_use;
}

/* Unix socket: group read-write so Postfix (in the user's group) can connect. */
static int
main_socket_owner(const char *path, const struct passwd *pw)
{
	if (chmod(path, 0660) != 0) {
		log_err("chmod %s", path);
		return -1;
	}
	if (pw != NULL && geteuid() == 0 && chown(path, pw->pw_uid, pw->pw_gid) != 0) {
		log_err("chown %s", path);
		return -1;
	}
	return 0;
}

static int
main_drop_privileges(const struct passwd *pw)
{
	if (pw == NULL || geteuid() != 0)
		return 0;
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		log_err("cannot drop privileges to %s", pw->pw_name);
		return -1;
	}
	if (setuid(0) == 0) {
		log_errx("privileges could be regained after dropping to %s", pw->pw_name);
		return -1;
	}
	return 0;
}

/*
 * Written as root, often in a directory others can write to: never through
 * a symbolic link, and never into anything but a plain file with one name
 * (a hard link to a system file would be truncated otherwise).  Opened and
 * checked before the milter socket is touched, so a start that refuses its
 * pid file leaves a running instance's socket alone; written after the
 * fork, with the pid that stays.  Locked (flock) for the life of the
 * process, so a second start with the same pid file is refused instead of
 * taking over.  The descriptor, or -1 (logged).
 */
static int
main_pidfile_open(const char *path)
{
	struct stat st;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0) {
		log_err("cannot write pid file %s%s", path,
		    errno == ELOOP ? " (it is a symbolic link)" : "");
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		log_errx("pid file %s is not a plain file with one name: not written", path);
		close(fd);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			log_errx("pid file %s is held by a running fwdguard: not starting", path);
		else
			log_err("cannot lock pid file %s", path);
		close(fd);
		return -1;
	}
	return fd;
}

static int
main_pidfile_write(const char *path, int fd)
{
	char buf[32];
	int len;

	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || write(fd, buf, (size_t)len) != len) {
		log_err("cannot write pid file %s", path);
		close(fd);
		return -1;
	}
	return 0;	/* fd stays open: it holds the lock */
}

/*
 * Socket, spool directory, metrics port, fork, pid file, privilege drop:
 * the root part.  *metrics_fd is the bound metrics socket, or -1 when
 * metrics.listen is unset.
 */
static int
main_setup(const struct main_opts *o, const struct cfg *c, const char *socket,
    const struct passwd *pw, int *metrics_fd)
{
	const char *upath = main_unix_path(socket);
	char err[256];
	int pidfd = -1;

	if (o->pidfile != NULL && (pidfd = main_pidfile_open(o->pidfile)) < 0)
		return -1;
	if (upath != NULL && main_socket_dir(upath, pw) != 0)
		return -1;
	if (upath != NULL && main_socket_in_use(upath)) {
		log_errx("milter socket %s is in use by a running filter: not starting", upath);
		return -1;
	}
	if (main_ensure_dir(c->audit.spool, 0750, pw, true) != 0)
		return -1;
	/* Before the milter socket: a start that fails here leaves no socket behind. */
	if (c->metrics.listen != NULL &&
	    (*metrics_fd = metrics_http_bind(c->metrics.listen, err, sizeof(err))) < 0) {
		log_errx("metrics.listen: %s", err);
		return -1;
	}
	if (smfi_setconn((char *)socket) != MI_SUCCESS ||
	    smfi_register(*callbacks_filter()) != MI_SUCCESS) {
		log_errx("cannot set up milter socket %s", socket);
		return -1;
	}
	/* true: remove a stale unix socket left by an earlier run. */
	if (smfi_opensocket(true) != MI_SUCCESS) {
		log_errx("cannot open milter socket %s", socket);
		return -1;
	}
	if (upath != NULL && main_socket_owner(upath, pw) != 0)
		return -1;
	if (!o->foreground && daemon(0, 0) != 0) {
		log_err("cannot go into the background");
		return -1;
	}
	if (pidfd >= 0 && main_pidfile_write(o->pidfile, pidfd) != 0)
		return -1;
	return main_drop_privileges(pw);
}

/*
 * The registry counts from the start whether or not it is served, so a
 * reload that adds metrics.listen shows the whole run.  fd: the socket
 * main_setup bound, or -1.  0, or -1 when the server cannot start.
 */
static int
main_metrics(struct audit *audit, const struct cfg *c, int fd)
{
	struct metrics *m = metrics_daemon_open(audit, c);
	struct metrics_http *h = NULL;
	char err[256];

	if (m == NULL)
		log_warnx("metrics: out of memory: no metrics");
	if (fd >= 0 && (m == NULL ||
	    (h = metrics_http_start(m, fd, c->metrics.listen, err, sizeof(err))) == NULL)) {
		log_errx("metrics.listen: %s", m == NULL ? "out of memory" : err);
		return -1;
	}
	if (h != NULL)
		log_notice("metrics: serving GET /metrics on %s", c->metrics.listen);
	reload_set_metrics(m, h);
	return 0;
}

/*
 * Opens what every message's end uses, into env: the directory first, as
 * root (the bind password file is usually readable by root only), then,
 * after main_setup() has dropped privileges, the audit trail, the metrics
 * and the correlation store.  0, or -1 after logging why.
 */
static int
main_open(const struct main_opts *o, const struct cfg *c, const char *socket,
    const struct passwd *pw, struct act_env *env)
{
	char err[256];
	int metrics_fd = -1;

	if ((env->dir = directory_open(c, err, sizeof(err))) == NULL) {
		log_errx("cannot open the directory: %s", err);
		return -1;
	}
	if (main_setup(o, c, socket, pw, &metrics_fd) != 0)
		return -1;
	if ((env->audit = audit_open(c, err, sizeof(err))) == NULL) {
		log_errx("cannot open the audit trail: %s", err);
		return -1;
	}
	if (main_metrics(env->audit, c, metrics_fd) != 0)
		return -1;
	/* Without it (ENOMEM) decisions go on without correlation evidence. */
	if ((env->corr = correlate_open(c)) == NULL)
		log_warnx("cannot set up correlation lookups: leak evidence is off");
	return 0;
}

/*
 * Hands env to the callbacks and to reload (which reconfigures the same
 * services), starts the threads, and makes c the current config.
 */
static void
main_start(const char *config, struct cfg *c, const struct act_env *env)
{
	callbacks_set_env(env);
	correlate_set_current(env->corr);
	directory_set_current(env->dir);
	if (directory_start(env->dir) != 0)
		log_warn("cannot start the directory thread; directory-only protected "
		    "mailboxes count for envelope recipients only");
	directory_attach(env->dir, &c->policy);
	cfg_current_set(c);
	if (reload_start(config, env->audit) != 0)
		log_warn("cannot start the reload thread; SIGUSR1 will not reload");
}

static void
main_close(const struct main_opts *o, const struct act_env *env)
{
	reload_stop_metrics();
	audit_close(env->audit);
	metrics_daemon_close();
	correlate_set_current(NULL);
	correlate_close(env->corr);
	directory_close(env->dir);
	if (o->pidfile != NULL)
		unlink(o->pidfile);
}

/* Runs the filter with the valid config c until it is told to stop; the exit status. */
static int
main_run(const struct main_opts *o, struct cfg *c)
{
	struct act_env env = { NULL, NULL, NULL };
	struct passwd *pw = NULL;
	const char *socket = o->socket != NULL ? o->socket : c->milter.socket;
	const char *user = o->user != NULL ? o->user : c->milter.user;
	int rc;

	if (user != NULL && user[0] != '\0' && geteuid() == 0 && (pw = getpwnam(user)) == NULL) {
		log_errx("unknown user %s", user);
		return 1;
	}
	reload_block_signal();
	/* Before any thread: libmilter's workers come and go with the load. */
	if ((rc = worker_stack_cap(WORKER_STACK_BYTES)) != 0)
		log_warnx("cannot set the threads' stack size: %s", strerror(rc));
	/* Fewer system calls a packet of the MTA's (milter/common/readahead.c). */
	char why[160];
	if (readahead_enable(why, sizeof(why)) == 0) {
		/* And no delayed ACK on TCP: steps may go unanswered there (callbacks.c). */
		readahead_quickack(true);
		callbacks_quick_acks(true);
		log_info("reading ahead on the MTA's connections, TCP ones acknowledged at once");
	} else {
		log_notice("not reading ahead on the MTA's connections: %s", why);
	}
	if (main_open(o, c, socket, pw, &env) != 0)
		return 1;
	main_start(o->config, c, &env);
	log_notice("starting: socket %s, mode %s, policy %.12s", socket,
	    mode_name(c->policy.mode), c->digest);
	reload_log_overrides(c);
	rc = smfi_main();
	log_notice("stopping");
	main_close(o, &env);
	return rc == MI_SUCCESS ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct main_opts o;
	struct cfg *c;

	/* libldap must read no ldaprc or LDAP* variables: the YAML file is the
	 * whole configuration.  Set before the first libldap call. */
	setenv("LDAPNOINIT", "1", 1);
	if (main_parse(argc, argv, &o) != 0)
		return 2;
	log_init("fwdguard", LOG_MAIL, o.foreground && !o.check_only);
	if ((c = cfg_load_host(o.config, main_config_error, NULL)) == NULL) {
		fprintf(stderr, "fwdguard: %s: configuration not valid\n", o.config);
		return 1;
	}
	if (o.check_only) {
		printf("fwdguard: %s: configuration valid (policy %.12s)\n", o.config, c->digest);
		cfg_unref(c);
		return 0;
	}
	log_set_facility(c->log.facility);
	log_set_level(o.verbose > 0 ? LOG_DEBUG : c->log.level);
	return main_run(&o, c);
}
