/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * readahead_check.c - whether reading ahead is safe in this process.
 *
 * readahead.c changes what libmilter's read and poll return; that is right
 * only when every read and every wait of libmilter on a session socket
 * goes through those two calls and reaches this program's definitions.
 * A libmilter built with select(2) (Sendmail's default where SM_CONF_POLL
 * is not set), with fortified reads (__read_chk, as _FORTIFY_SOURCE=3
 * makes them), or with any other way to read or wait on a socket would
 * wait in the kernel while a packet sits in the buffer: every session
 * would stall until its timeout.  And a number closed without close(2)
 * could come back with another socket's stale bytes.  So the shared
 * libmilter in the process is read before anything is enabled: the
 * symbols it imports (those its relocations name) must include read,
 * poll, accept and close and none of the others below, and the process's
 * global scope must resolve those four to this program's definitions,
 * as libmilter's calls are resolved.  A libmilter linked statically
 * cannot be read this way, and the answer is then no.
 */
/* Fortified headers define read and poll inline: their addresses are wanted. */
#undef _FORTIFY_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "readahead.h"

/* What readahead.c defines, so what libmilter must call. */
static const char *const readahead_needed[] = { "read", "poll", "accept", "close" };

/* Other ways to read, wait on or close a socket, which would bypass the buffer. */
static const char *const readahead_bypass[] = {
	"select", "pselect", "ppoll", "epoll_wait", "epoll_pwait", "__poll_chk", "__ppoll_chk",
	"recv", "recvfrom", "recvmsg", "readv", "pread", "pread64", "__read_chk", "__recv_chk",
	"__recvfrom_chk", "dup2", "dup3", "close_range",
};

/* The symbol index of a relocation's info, for this process's word size. */
#if __ELF_NATIVE_CLASS == 64
#define READAHEAD_R_SYM(info) ELF64_R_SYM(info)
#else
#define READAHEAD_R_SYM(info) ELF32_R_SYM(info)
#endif

struct readahead_query {
	const char *object;	/* part of the file name */
	const char *symbol;
	int found;		/* -1 no such object, 0 not imported, 1 imported */
};

/* An address from the dynamic section: glibc has relocated most, not all. */
static ElfW(Addr) readahead_abs(ElfW(Addr) a, ElfW(Addr) base)
{
	return a < base ? a + base : a;
}

struct readahead_dyn {
	const ElfW(Sym) *symtab;
	const char *strtab;
	size_t strsz;
	ElfW(Addr) rela, jmprel, rel;
	size_t relasz, pltrelsz, relsz;
	bool plt_is_rela;
};

static bool readahead_dyn_read(const struct dl_phdr_info *info, struct readahead_dyn *d)
{
	const ElfW(Dyn) *dyn = NULL;
	for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
	if (dyn == NULL)
		return false;
	memset(d, 0, sizeof(*d));
	ElfW(Addr) base = info->dlpi_addr;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_SYMTAB: d->symtab = (const ElfW(Sym) *)readahead_abs(dyn->d_un.d_ptr, base); break;
		case DT_STRTAB: d->strtab = (const char *)readahead_abs(dyn->d_un.d_ptr, base); break;
		case DT_STRSZ: d->strsz = dyn->d_un.d_val; break;
		case DT_RELA: d->rela = readahead_abs(dyn->d_un.d_ptr, base); break;
		case DT_RELASZ: d->relasz = dyn->d_un.d_val; break;
		case DT_REL: d->rel = readahead_abs(dyn->d_un.d_ptr, base); break;
		case DT_RELSZ: d->relsz = dyn->d_un.d_val; break;
		case DT_JMPREL: d->jmprel = readahead_abs(dyn->d_un.d_ptr, base); break;
		case DT_PLTRELSZ: d->pltrelsz = dyn->d_un.d_val; break;
		case DT_PLTREL: d->plt_is_rela = dyn->d_un.d_val == DT_RELA; break;
		default: break;
		}
	}
	return d->symtab != NULL && d->strtab != NULL;
}

/* Whether the undefined symbol of index idx is named name. */
static bool readahead_sym_is(const struct readahead_dyn *d, size_t idx, const char *name)
{
	const ElfW(Sym) *s = &d->symtab[idx];
	return idx != 0 && s->st_shndx == SHN_UNDEF && s->st_name < d->strsz &&
	    strcmp(d->strtab + s->st_name, name) == 0;
}

/* Whether a table of relocations (RELA or REL) names symbol. */
static bool readahead_relocs_name(const struct readahead_dyn *d, ElfW(Addr) table, size_t size,
    bool rela, const char *symbol)
{
	size_t entsize = rela ? sizeof(ElfW(Rela)) : sizeof(ElfW(Rel));
	for (size_t off = 0; table != 0 && off + entsize <= size; off += entsize) {
		ElfW(Xword) info = rela ? ((const ElfW(Rela) *)(table + off))->r_info :
		    ((const ElfW(Rel) *)(table + off))->r_info;
		if (readahead_sym_is(d, READAHEAD_R_SYM(info), symbol))
			return true;
	}
	return false;
}

static int readahead_query_one(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct readahead_query *q = arg;
	struct readahead_dyn d;
	(void)size;
	if (info->dlpi_name == NULL || strstr(info->dlpi_name, q->object) == NULL ||
	    !readahead_dyn_read(info, &d))
		return 0;
	q->found = readahead_relocs_name(&d, d.jmprel, d.pltrelsz, d.plt_is_rela, q->symbol) ||
	    readahead_relocs_name(&d, d.rela, d.relasz, true, q->symbol) ||
	    readahead_relocs_name(&d, d.rel, d.relsz, false, q->symbol);
	return 1;
}

int readahead_imports(const char *object, const char *symbol)
{
	struct readahead_query q = { object, symbol, -1 };
	dl_iterate_phdr(readahead_query_one, &q);
	return q.found;
}

int readahead_check_object(const char *object, char *why, size_t len)
{
	for (size_t i = 0; i < sizeof(readahead_bypass) / sizeof(readahead_bypass[0]); i++)
		if (readahead_imports(object, readahead_bypass[i]) > 0) {
			snprintf(why, len, "%s calls %s", object, readahead_bypass[i]);
			return -1;
		}
	for (size_t i = 0; i < sizeof(readahead_needed) / sizeof(readahead_needed[0]); i++) {
		int rc = readahead_imports(object, readahead_needed[i]);
		if (rc < 0) {
			snprintf(why, len, "no shared %s in this process", object);
			return -1;
		}
		if (rc == 0) {
			snprintf(why, len, "%s does not call %s", object, readahead_needed[i]);
			return -1;
		}
	}
	return 0;
}

int readahead_check(char *why, size_t len)
{
	/* The global scope, which libmilter's calls are resolved in. */
	const void *const ours[] = { (void *)read, (void *)poll, (void *)accept, (void *)close };
	for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		if (dlsym(RTLD_DEFAULT, readahead_needed[i]) != ours[i]) {
			snprintf(why, len, "this program's %s is not the one libraries call",
			    readahead_needed[i]);
			return -1;
		}
	return readahead_check_object("libmilter.so", why, len);
}
