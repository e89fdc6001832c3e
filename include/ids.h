/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ids.h - decision ids: unique across hosts and restarts, sortable by time,
 * short enough for an SMTP reply ("ref 01JD3K8Q5ZC4M7T2X9")
 */
#ifndef FWDGUARD_IDS_H
#define FWDGUARD_IDS_H

#define IDS_LEN	26	/* characters, without the NUL */

/* Writes a new id (Crockford base32: 48-bit ms time, 80 bits random/counter). */
void ids_new(char out[IDS_LEN + 1]);

#endif
