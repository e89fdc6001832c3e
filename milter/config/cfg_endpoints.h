/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg_endpoints.h - private to the config loader: the setters of keys that
 * name a peer or a query (milter/config/cfg_endpoints.c): the shapes
 * cfg_set_shape checks, and the LDAP filter setter.
 */
#ifndef FWDGUARD_CFG_ENDPOINTS_H
#define FWDGUARD_CFG_ENDPOINTS_H

#include "cfg_loader.h"

/* The shapes of cfg_set_shape keys (their k->arg). */
extern const struct cfg_shape cfg_socket_shape;	/* libmilter's unix:, local:, inet:, inet6: */
extern const struct cfg_shape cfg_endpoint_shape;	/* host:port or unix:/path */
extern const struct cfg_shape cfg_hostport_shape;	/* host:port or [v6]:port */
extern const struct cfg_shape cfg_ldap_uri_shape;	/* ldap://, ldaps://, ldapi://, blank-separated */
extern const struct cfg_shape cfg_listen_shape;	/* numeric IPv4:port or [IPv6]:port */

CFG_SETTER(cfg_set_filter);	/* an LDAP filter; KEY_NEEDS_S: with %s */

#endif
