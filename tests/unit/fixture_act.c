/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fixture_act.c - see fixture_act.h.
 */
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "act.h"
#include "cfg.h"
#include "correlate.h"
#include "fixture_act.h"

static char fixture_spool[64];
static struct act_env fixture_env;

static void
fixture_cfg_error(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "cfg: %s\n", line);
}

static int
fixture_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

int
fixture_act_setup(const char *name, const char *yaml_fmt, bool store)
{
	char yaml[4096], err[256] = "";
	const char *at;
	struct cfg *cfg;
	int n;

	snprintf(fixture_spool, sizeof(fixture_spool), "/tmp/%s.XXXXXX", name);
	if (mkdtemp(fixture_spool) == NULL)
		return -1;
	/* The one "%s" by hand: a format from a parameter is no format. */
	if ((at = strstr(yaml_fmt, "%s")) == NULL)
		return -1;
	n = snprintf(yaml, sizeof(yaml), "%.*s%s%s", (int)(at - yaml_fmt), yaml_fmt,
	    fixture_spool, at + 2);
	if (n < 0 || (size_t)n >= sizeof(yaml) ||
	    (cfg = cfg_load_buffer(name, yaml, (size_t)n, fixture_cfg_error, NULL)) == NULL)
		return -1;
	cfg_current_set(cfg);
	if ((cfg = cfg_current()) == NULL)
		return -1;
	fixture_env.audit = audit_open(cfg, err, sizeof(err));
	if (store)
		fixture_env.corr = correlate_open(cfg);
	cfg_unref(cfg);
	if (fixture_env.audit == NULL || (store && fixture_env.corr == NULL)) {
		fprintf(stderr, "%s: cannot open the audit trail or the store: %s\n", name, err);
		return -1;
	}
	return 0;
}

int
fixture_act_teardown(void **state)
{
	(void)state;
	correlate_close(fixture_env.corr);
	audit_close(fixture_env.audit);
	memset(&fixture_env, 0, sizeof(fixture_env));
	cfg_current_set(NULL);
	nftw(fixture_spool, fixture_rm, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

const char *
fixture_act_spool(void)
{
	return fixture_spool;
}

const struct act_env *
fixture_act_env(void)
{
	return &fixture_env;
}

char *
fixture_act_journal(size_t *len)
{
	DIR *d = opendir(fixture_spool);
	struct dirent *de;
	char *buf = calloc(1, 1), path[400], chunk[4096];
	size_t n = 0, got;

	if (d == NULL || buf == NULL)
		abort();
	while ((de = readdir(d)) != NULL) {
		FILE *f;

		if (strncmp(de->d_name, "journal-", 8) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", fixture_spool, de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		/* Up to the zeros the spool writes ahead (milter/trail/spool_write.c). */
		while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
			const char *nul = memchr(chunk, '\0', got);
			size_t keep = nul != NULL ? (size_t)(nul - chunk) : got;

			if ((buf = realloc(buf, n + keep + 1)) == NULL)
				abort();
			memcpy(buf + n, chunk, keep);
			n += keep;
			buf[n] = '\0';
			if (nul != NULL)
				break;
		}
		fclose(f);
	}
	closedir(d);
	*len = n;
	return buf;
}
