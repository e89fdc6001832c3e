/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_verify.h - "fwdguard-audit verify [--since T] [--host H]": walks
 * the hash chains of <prefix>audit (milter/audit-tool/audit_verify.c, milter/trail/verify.c;
 * man/fwdguard-audit.1, VERIFY).
 */
#ifndef FWDGUARD_AUDIT_VERIFY_H
#define FWDGUARD_AUDIT_VERIFY_H

/*
 * argv[0] is "verify".  Exit status: 0 intact, 1 a problem named or Redis
 * unreadable, 2 usage.  usage_fn prints the usage with a reason and
 * returns 2; help_fn prints it on stdout.
 */
int audit_verify_main(const char *path, int argc, char **argv, int (*usage_fn)(const char *why),
    void (*help_fn)(void));

#endif
