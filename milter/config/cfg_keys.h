/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg_keys.h - private to the config loader: the one table of keys
 * (milter/config/cfg_keys.c), with each key's default, and the walker
 * that fills a struct cfg from a node tree through the keys' setters.
 */
#ifndef FWDGUARD_CFG_KEYS_H
#define FWDGUARD_CFG_KEYS_H

#include "cfg_loader.h"

/*
 * Sets every default of the table in l->cfg, through each key's own
 * setter, before the file is read; defaults that are not one value are
 * set beside them (cfg_keys.c says which).
 */
void cfg_keys_defaults(struct cfg_loader *l);

/* Fills l->cfg (already holding the defaults) from the root mapping. */
void cfg_keys_apply(struct cfg_loader *l, const struct cfg_node *root);

#endif
