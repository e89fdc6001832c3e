/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * metrics_http.h - serves a metrics registry (metrics.h) as Prometheus
 * text on GET /metrics, with libmicrohttpd in a thread of its own.
 *
 * Binding and serving are two steps so that a daemon can bind as root,
 * before it forks and drops privileges, and start the server thread
 * afterwards (threads do not survive fork): metrics_http_bind() makes the
 * listening socket, metrics_http_start() serves on it.
 *
 * The listen address is numeric, "IPv4:port" or "[IPv6]:port": a metrics
 * port is a local fact, never a name to resolve at start.
 */
#ifndef FWDGUARD_METRICS_HTTP_H
#define FWDGUARD_METRICS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include "metrics.h"

struct metrics_http;

/*
 * Parses listen into *ss and *len (milter/common/metrics_addr.c, libc only: the
 * config loader checks metrics.listen with it).  0, or -1 when it is not
 * "IPv4:port" or "[IPv6]:port" with a port in 1..65535.
 */
int metrics_addr_parse(const char *listen, struct sockaddr_storage *ss, socklen_t *len);

/* A listening TCP socket on listen; -1 with a reason in err. */
int metrics_http_bind(const char *listen, char *err, size_t errsize);

/*
 * Serves m on fd (taken over: closed by metrics_http_stop, or here on
 * failure).  NULL with a reason in err.
 */
struct metrics_http *metrics_http_start(struct metrics *m, int fd, const char *listen,
    char *err, size_t errsize);

/*
 * Both steps at once, for a program that binds after it dropped its
 * privileges or never had any (fwdguard-audit alerts, a reload).
 */
struct metrics_http *metrics_http_open(struct metrics *m, const char *listen, char *err,
    size_t errsize);

/* The address it serves on (borrowed until metrics_http_stop). */
const char *metrics_http_listen(const struct metrics_http *h);

/* Stops serving and closes the socket; accepts NULL. */
void metrics_http_stop(struct metrics_http *h);

#endif
