/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg_host.h - private to the config loader: the setters of keys that
 * name something on this host (milter/config/cfg_host.c).  With
 * l->host_checks they also check that it exists here.
 */
#ifndef FWDGUARD_CFG_HOST_H
#define FWDGUARD_CFG_HOST_H

#include "cfg_loader.h"

CFG_SETTER(cfg_set_secret_file);	/* a regular file; KEY_EMPTY_OK: "" allowed */
CFG_SETTER(cfg_set_user);		/* a user name; "" keeps the current user */
CFG_SETTER(cfg_set_command);		/* its first word an executable, absolute */

#endif
