/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mime_limits.h - the bounds of a MIME walk (mime.h says what reaching each
 * one means), shared by the walker (policy/mime.c) and the results it
 * gathers (policy/mime_tree.c).  Pure constants.
 */
#ifndef FWDGUARD_MIME_LIMITS_H
#define FWDGUARD_MIME_LIMITS_H

#define MIME_DEPTH_MAX		8		/* nested multiparts / enclosed messages */
#define MIME_PARTS_MAX		200		/* parts whose headers are read */
#define MIME_HEADER_MAX		(16 * 1024)	/* bytes kept of one header field (longer: cut, truncated) */
#define MIME_BYTES_MAX		(10 * 1024 * 1024)	/* body bytes examined */
#define MIME_IDS_MAX		8		/* original Message-IDs kept */
#define MIME_PARTIES_MAX	32		/* parties of attached messages kept */

#endif
