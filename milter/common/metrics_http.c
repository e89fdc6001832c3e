/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * metrics_http.c - GET /metrics over HTTP with libmicrohttpd (see
 * metrics_http.h).
 *
 * One polling thread serves every scrape in turn: a scrape renders the
 * registry (a few kilobytes) and returns, so there is nothing to gain from
 * more threads, and a slow or hostile client is cut off by the connection
 * limit and timeout instead of holding anything the milter needs.  Only
 * GET and HEAD of /metrics are served; a request with a body is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "metrics_http.h"

#define METRICS_HTTP_CONNECTIONS	16
#define METRICS_HTTP_TIMEOUT_S		10
#define METRICS_HTTP_BACKLOG		16

struct metrics_http {
	struct MHD_Daemon *daemon;
	struct metrics *m;
	char *addr;
};

int
metrics_http_bind(const char *addr, char *err, size_t errsize)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	if (metrics_addr_parse(addr, &ss, &len) != 0) {
		snprintf(err, errsize, "invalid listen address '%s' (want IPv4:port or [IPv6]:port)",
		    addr);
		return -1;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) {
		snprintf(err, errsize, "cannot listen on %s: socket: %s", addr, strerror(errno));
		return -1;
	}
	/* A restart must not wait for the old connections' TIME_WAIT. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, METRICS_HTTP_BACKLOG) != 0) {
		snprintf(err, errsize, "cannot listen on %s: %s", addr, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static enum MHD_Result
metrics_http_reply(struct MHD_Connection *conn, unsigned int status, const char *type,
    char *body, size_t len)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;

	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	rc = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result
metrics_http_text(struct MHD_Connection *conn, unsigned int status, const char *text)
{
	char *body = strdup(text);

	if (body == NULL)
		return MHD_NO;
	return metrics_http_reply(conn, status, "text/plain; charset=utf-8", body, strlen(body));
}

static enum MHD_Result
metrics_http_handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **state)
{
	static int seen;
	struct metrics_http *h = cls;
	size_t len;
	char *body;

	/* The first call only announces the request; its body (if any) follows. */
	if (*state == NULL) {
		*state = &seen;
		return MHD_YES;
	}
	if (*upload_data_size != 0)
		return metrics_http_text(conn, MHD_HTTP_BAD_REQUEST, "no request body expected\n");
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return metrics_http_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET /metrics\n");
	if (strcmp(url, "/metrics") != 0)
		return metrics_http_text(conn, MHD_HTTP_NOT_FOUND, "not found; try /metrics\n");
	if ((body = metrics_render(h->m, &len)) == NULL)
		return metrics_http_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	return metrics_http_reply(conn, MHD_HTTP_OK, METRICS_CONTENT_TYPE, body, len);
}

struct metrics_http *
metrics_http_start(struct metrics *m, int fd, const char *addr, char *err, size_t errsize)
{
	struct metrics_http *h = calloc(1, sizeof(*h));
	sigset_t all, old;

	if (h == NULL || (h->addr = strdup(addr)) == NULL) {
		snprintf(err, errsize, "out of memory");
		free(h);
		close(fd);
		return NULL;
	}
	h->m = m;
	/* Signals belong to the program's own threads: none may land in MHD's. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	h->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0,
	    NULL, NULL, metrics_http_handle, h,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)METRICS_HTTP_CONNECTIONS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)METRICS_HTTP_TIMEOUT_S,
	    MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (h->daemon == NULL) {
		snprintf(err, errsize, "cannot serve metrics on %s: the HTTP server did not start",
		    addr);
		/* Whether MHD closed it on the way out depends on where it failed. */
		if (fcntl(fd, F_GETFD) != -1)
			close(fd);
		free(h->addr);
		free(h);
		return NULL;
	}
	return h;
}

struct metrics_http *
metrics_http_open(struct metrics *m, const char *addr, char *err, size_t errsize)
{
	int fd = metrics_http_bind(addr, err, errsize);

	return fd < 0 ? NULL : metrics_http_start(m, fd, addr, err, errsize);
}

const char *
metrics_http_listen(const struct metrics_http *h)
{
	return h != NULL ? h->addr : NULL;
}

void
metrics_http_stop(struct metrics_http *h)
{
	if (h == NULL)
		return;
	/* Closes the listening socket too. */
	MHD_stop_daemon(h->daemon);
	free(h->addr);
	free(h);
}
