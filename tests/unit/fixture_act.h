/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fixture_act.h - the world milter/act.c runs in for the unit tests that
 * drive act_end_of_message(): a config, and the environment handed to it
 * (struct act_env): the audit trail on a fresh spool directory and, when
 * asked, the correlation store (Redis may well be a closed port), no
 * directory; and the cleanup.
 */
#ifndef FWDGUARD_FIXTURE_ACT_H
#define FWDGUARD_FIXTURE_ACT_H

#include <stdbool.h>
#include <stddef.h>
#include "act.h"

/*
 * Loads yaml_fmt, whose one %s is replaced by the spool directory (a new
 * /tmp/NAME.XXXXXX), as the current config and opens what act.c uses.
 * 0, or -1 with a line on stderr.
 */
int fixture_act_setup(const char *name, const char *yaml_fmt, bool store);

/* Undoes fixture_act_setup(): closes everything and removes the spool (a cmocka teardown). */
int fixture_act_teardown(void **state);

/* The spool directory. */
const char *fixture_act_spool(void);
/* Every journal's bytes in the spool, concatenated (caller frees); aborts on ENOMEM. */
char *fixture_act_journal(size_t *len);
/* The environment: the audit trail writing to the spool, the store when asked (borrowed). */
const struct act_env *fixture_act_env(void);

#endif
