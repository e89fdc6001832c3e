/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg_reroute.h - private to the config loader: the keys of a rule that
 * reroutes a stopped copy and notifies (milter/config/cfg_reroute.c).
 */
#ifndef FWDGUARD_CFG_REROUTE_H
#define FWDGUARD_CFG_REROUTE_H

#include "cfg_loader.h"

CFG_SETTER(cfg_set_reroute_to);
CFG_SETTER(cfg_set_notify);
/* Cross-checks of the notices against alerts.*, once the whole file is read. */
void cfg_notice_check(struct cfg_loader *l, const struct cfg_node *root);

#endif
