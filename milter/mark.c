/*
 * mark.c - the reroute mark's HMAC (see mark.h).  HMAC-SHA256 as in
 * RFC 2104 over "fwdguard-reroute-v1", the reroute address, the decision
 * id and the Message-ID, NUL-separated so no two triples read the same;
 * 128 bits of it are kept, in hex.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "mark.h"
#include "sha256.h"

#define MARK_SIG_HEX	32
#define MARK_FILE_MAX	4096	/* a key file is a secret, not a document */

static pthread_once_t mark_once = PTHREAD_ONCE_INIT;
static unsigned char mark_random[MARK_KEY_LEN];
static bool mark_random_ok;

static void
mark_random_init(void)
{
	mark_random_ok = getrandom(mark_random, sizeof(mark_random), 0) ==
	    (ssize_t)sizeof(mark_random);
}

static int
mark_key_file(const char *path, unsigned char key[MARK_KEY_LEN], char *err, size_t errsize)
{
	unsigned char buf[MARK_FILE_MAX];
	struct sha256 s;
	ssize_t n;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errsize, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	while (got < sizeof(buf) && ((n = read(fd, buf + got, sizeof(buf) - got)) > 0 ||
	    (n < 0 && errno == EINTR)))
		got += n > 0 ? (size_t)n : 0;
	close(fd);
	if (got == 0) {
		snprintf(err, errsize, "%s is empty or unreadable", path);
		return -1;
	}
	sha256_init(&s);
	sha256_update(&s, buf, got);
	sha256_final(&s, key);
	memset(buf, 0, sizeof(buf));
	return 0;
}

int
mark_key(const char *path, unsigned char key[MARK_KEY_LEN], char *err, size_t errsize)
{
	if (path != NULL && path[0] != '\0')
		return mark_key_file(path, key, err, errsize);
	pthread_once(&mark_once, mark_random_init);
	if (!mark_random_ok) {
		snprintf(err, errsize, "no random key for the reroute mark");
		return -1;
	}
	memcpy(key, mark_random, MARK_KEY_LEN);
	return 0;
}

static void
mark_hmac(const unsigned char key[MARK_KEY_LEN], const char *to, const char *id,
    const char *message_id, char hex[MARK_SIG_HEX + 1])
{
	static const char label[] = "fwdguard-reroute-v1";
	unsigned char pad[64], inner[32], outer[32];
	struct sha256 s;
	size_t i;

	memset(pad, 0, sizeof(pad));
	memcpy(pad, key, MARK_KEY_LEN);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36;
	sha256_init(&s);
	sha256_update(&s, pad, sizeof(pad));
	sha256_update(&s, label, sizeof(label));
	sha256_update(&s, to, strlen(to) + 1);
	sha256_update(&s, id, strlen(id) + 1);
	sha256_update(&s, message_id, strlen(message_id));
	sha256_final(&s, inner);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36 ^ 0x5c;
	sha256_init(&s);
	sha256_update(&s, pad, sizeof(pad));
	sha256_update(&s, inner, sizeof(inner));
	sha256_final(&s, outer);
	for (i = 0; i < MARK_SIG_HEX / 2; i++)
		snprintf(hex + 2 * i, 3, "%02x", outer[i]);
}

int
mark_make(const unsigned char key[MARK_KEY_LEN], const char *message_id, const char *to,
    const char *id, char *out, size_t size)
{
	char sig[MARK_SIG_HEX + 1];
	int n;

	mark_hmac(key, to, id, message_id != NULL ? message_id : "", sig);
	n = snprintf(out, size, "to=%s; id=%s; sig=%s", to, id, sig);
	return n > 0 && (size_t)n < size ? 0 : -1;
}

/* Copies the value of "name=" up to ';' (or the end) into out; -1 when absent or too long. */
static int
mark_field(const char *value, const char *name, char *out, size_t size)
{
	const char *p = value, *end;
	size_t len = strlen(name);

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		if (*p == '\0')
			return -1;
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		if (strncmp(p, name, len) == 0 && p[len] == '=')
			break;
		p = end;
	}
	p += len + 1;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if ((size_t)(end - p) >= size)
		return -1;
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
	return 0;
}

bool
mark_verify(const unsigned char key[MARK_KEY_LEN], const char *message_id, const char *value)
{
	char to[MARK_VALUE_MAX], id[MARK_VALUE_MAX], sig[MARK_SIG_HEX + 2];
	char want[MARK_SIG_HEX + 1];
	unsigned diff = 0;
	size_t i;

	if (value == NULL || strlen(value) >= MARK_VALUE_MAX ||
	    mark_field(value, "to", to, sizeof(to)) != 0 ||
	    mark_field(value, "id", id, sizeof(id)) != 0 ||
	    mark_field(value, "sig", sig, sizeof(sig)) != 0 || strlen(sig) != MARK_SIG_HEX)
		return false;
	mark_hmac(key, to, id, message_id != NULL ? message_id : "", want);
	/* Constant time: how much of a guess was right must not show. */
	for (i = 0; i < MARK_SIG_HEX; i++)
		diff |= (unsigned)(sig[i] ^ want[i]);
	return diff == 0;
}
