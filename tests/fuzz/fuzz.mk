# SPDX-License-Identifier: BSD-2-Clause
# tests/fuzz/fuzz.mk - builds the libFuzzer harnesses with clang, out of
# tree.  Invoked by "make fuzz" (Makefile.am), which passes the paths and
# the libraries configure found:
#   SRC    the source tree         OUT   where objects and harnesses go
#   CLANG  the clang to use        LIBS  link flags (yaml, hiredis, ldap, idn2)
#   INCS   extra -I flags: the build directory (config.h), pkg-config
# Every object is built again here with coverage instrumentation and
# ASan/UBSan; a harness links the two archives, so it pulls in only the
# objects it needs.

SAN      = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer $(SAN) -Wall -Wextra -Wno-unused-parameter \
	-I$(SRC)/include $(addprefix -I$(SRC)/,policy $(CORE_DIRS)) -I$(SRC)/tests/fuzz $(INCS) -D_GNU_SOURCE \
	-DSYSCONFDIR='"/etc"' -DLOCALSTATEDIR='"/var"'

POLICY_SRCS = $(wildcard $(SRC)/policy/*.c)
# Everything the two programs share and all of fwdguard-audit but its main:
# the daemon's folder (milter/ itself) is bound to libmilter, which the
# harnesses do not link.
CORE_DIRS = milter/common milter/config milter/directory milter/trail milter/audit-tool \
	milter/audit-tool/alerts milter/audit-tool/watch
CORE_SRCS = $(filter-out $(SRC)/milter/audit-tool/audit_tool.c,\
	$(foreach d,$(CORE_DIRS),$(wildcard $(SRC)/$(d)/*.c)))

TARGETS = address evidence mime rfc2047 autoreply cfg spool dirfilter audit_query alert_mail \
	watch_set

POLICY_OBJS = $(patsubst $(SRC)/%.c,$(OUT)/obj/%.o,$(POLICY_SRCS))
CORE_OBJS = $(patsubst $(SRC)/%.c,$(OUT)/obj/%.o,$(CORE_SRCS))
HARNESSES = $(addprefix $(OUT)/fuzz_,$(TARGETS))

all: $(HARNESSES)

$(OUT)/obj/%.o: $(SRC)/%.c
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(OUT)/libfuzzpolicy.a: $(POLICY_OBJS)
	rm -f $@ && ar cr $@ $^

$(OUT)/libfuzzcore.a: $(CORE_OBJS)
	rm -f $@ && ar cr $@ $^

$(OUT)/fuzz_%: $(OUT)/obj/tests/fuzz/fuzz_%.o $(OUT)/obj/tests/fuzz/fuzz_policy.o \
		$(OUT)/libfuzzcore.a $(OUT)/libfuzzpolicy.a
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

-include $(shell find $(OUT)/obj -name '*.d' 2>/dev/null)

.PHONY: all
.SECONDARY:
