/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg_alerts.h - private to the config loader: the setters of
 * alerts.routes[] (milter/config/cfg_alerts.c) and their checks against
 * the rest of the file.
 */
#ifndef FWDGUARD_CFG_ALERTS_H
#define FWDGUARD_CFG_ALERTS_H

#include "cfg_loader.h"

CFG_SETTER(cfg_set_route_mailboxes);
CFG_SETTER(cfg_set_levels);
CFG_SETTER(cfg_set_route_rules);
CFG_SETTER(cfg_set_mail_to);
/* A webhook URL, the k->arg of a cfg_set_shape key: http:// or https://. */
extern const struct cfg_shape cfg_url_shape;
/* Checks of alerts.routes against the rest of the file, once it is all read. */
void cfg_alerts_check(struct cfg_loader *l, const struct cfg_node *root);

#endif
