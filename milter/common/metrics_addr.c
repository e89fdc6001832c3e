/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * metrics_addr.c - the listen address of a metrics server (metrics_http.h):
 * "IPv4:port" or "[IPv6]:port", numeric only, so that "fwdguard -n" can
 * tell a typo from an address without resolving anything.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "metrics_http.h"

static int
metrics_addr_port(const char *s, unsigned short *port)
{
	long v = 0;
	size_t i;

	if (*s == '\0' || strlen(s) > 5)
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*port = (unsigned short)v;
	return 0;
}

int
metrics_addr_parse(const char *listen, struct sockaddr_storage *ss, socklen_t *len)
{
	const char *colon = listen != NULL ? strrchr(listen, ':') : NULL;
	char host[INET6_ADDRSTRLEN];
	size_t hlen;
	unsigned short port;

	if (colon == NULL || metrics_addr_port(colon + 1, &port) != 0)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (listen[0] == '[') {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		hlen = (size_t)(colon - listen);
		if (hlen < 3 || listen[hlen - 1] != ']' || hlen - 2 >= sizeof(host))
			return -1;
		memcpy(host, listen + 1, hlen - 2);
		host[hlen - 2] = '\0';
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	hlen = (size_t)(colon - listen);
	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, listen, hlen);
	host[hlen] = '\0';
	/* inet_pton takes only the dotted quad: no "127.1", no octal. */
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return -1;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	*len = sizeof(*sin);
	return 0;
}
