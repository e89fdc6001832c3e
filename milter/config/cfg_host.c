/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg_host.c - setters for keys that name something on this host: a
 * secret file, the user to run as, a command to run.  The loader checks
 * their spelling always; with host checks (cfg_load_host: "fwdguard -n",
 * the daemon's start and every reload) it also checks that what they name
 * exists, so "-n" never calls valid a file the daemon then refuses, and
 * the error names the key and its line.  The audit tool and the tests load
 * without host checks: the file may describe another machine.
 */
#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg_host.h"
#include "cfg_loader.h"
#include "cfg_value.h"

/* A file read at start (a password): it must be a regular file. */
void
cfg_set_secret_file(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	char shown[CFG_SHOW_MAX + 8];
	const char *s = cfg_path_text(l, k, n, path);
	struct stat st;

	if (s == NULL)
		return;
	if (*s != '\0' && l->host_checks && stat(s, &st) != 0)
		cfg_report(l, n, path, "cannot use '%s': %s", cfg_show(s, n->len, shown),
		    strerror(errno));
	else if (*s != '\0' && l->host_checks && !S_ISREG(st.st_mode))
		cfg_report(l, n, path, "'%s' is not a regular file", cfg_show(s, n->len, shown));
	else
		cfg_replace(l, FIELD(base, k, char *), s);
}

/* The user to run as; "" keeps the current one. */
void
cfg_set_user(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	char shown[CFG_SHOW_MAX + 8];
	const char *s = cfg_text(l, n, path, "a user name");

	if (s == NULL)
		return;
	errno = 0;
	if (l->host_checks && *s != '\0' && getpwnam(s) == NULL)
		cfg_report(l, n, path, "unknown user '%s'%s%s", cfg_show(s, n->len, shown),
		    errno != 0 ? ": " : "", errno != 0 ? strerror(errno) : "");
	else
		cfg_replace(l, FIELD(base, k, char *), s);
}

/* A command run without a shell: its first word is an executable file. */
void
cfg_set_command(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	char shown[CFG_SHOW_MAX + 8], program[1024];
	const char *s = cfg_text(l, n, path, "a command");
	size_t len;

	if (s == NULL)
		return;
	if (*s != '/') {
		cfg_report(l, n, path, "'%s' does not start with an absolute path",
		    cfg_show(s, n->len, shown));
		return;
	}
	len = strcspn(s, " \t");
	if (l->host_checks && len < sizeof(program)) {
		memcpy(program, s, len);
		program[len] = '\0';
		if (access(program, X_OK) != 0) {
			cfg_report(l, n, path, "cannot run '%s': %s",
			    cfg_show(program, len, shown), strerror(errno));
			return;
		}
	}
	cfg_replace(l, FIELD(base, k, char *), s);
}
