/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alert_webhook.c - webhook POSTs with libcurl (see alert_webhook.h).
 * Each webhook keeps its easy handle, so connections are reused between
 * alerts; its channel thread is the only one using it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "alert_route.h"
#include "alert_webhook.h"

struct webhook {
	CURL *curl;
	char *url;
	long timeout_ms;
	struct curl_slist *headers;	/* headers_file's lines and ours */
	int nheaders;			/* headers_file's */
};

int webhook_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void webhook_global_cleanup(void)
{
	curl_global_cleanup();
}

/* A header line: a token, ':', a value without controls; 0 or -1. */
static int webhook_header_ok(const char *line)
{
	const char *colon = strchr(line, ':');
	if (colon == NULL || colon == line)
		return -1;
	for (const char *p = line; p < colon; p++)
		if (!isalnum((unsigned char)*p) && strchr("!#$%&'*+-.^_`|~", *p) == NULL)
			return -1;
	for (const char *p = colon + 1; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return -1;
	return 0;
}

static int webhook_add(struct webhook *wh, const char *line)
{
	struct curl_slist *l = curl_slist_append(wh->headers, line);
	if (l == NULL)
		return -1;
	wh->headers = l;
	return 0;
}

/* One line of a secrets file, given to a reader's take(): 0, or -1 with err set. */
struct webhook_line {
	const char *path;
	int lineno;
	const char *text;	/* no line end or trailing blanks; never blank, never a comment */
};

/*
 * Reads the secrets file `what` (headers_file, url_file) at path, line by
 * line up to maxlen bytes each (line end and trailing blanks removed),
 * blank lines and '#' lines skipped, and gives the others to take().  0,
 * or -1 with a reason that names the file and the line, never quotes it:
 * the lines are the secrets.
 */
static int webhook_read_file(const char *what, const char *path, size_t maxlen,
    int (*take)(void *ctx, const struct webhook_line *l, char *err, size_t errsize), void *ctx,
    char *err, size_t errsize)
{
	char line[WEBHOOK_HEADER_LEN + 3];	/* maxlen bytes, "\r\n", NUL */
	struct webhook_line l = { path, 0, line };
	int rv = 0;
	FILE *f = fopen(path, "re");

	if (f == NULL) {
		snprintf(err, errsize, "webhook %s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (maxlen > WEBHOOK_HEADER_LEN)
		maxlen = WEBHOOK_HEADER_LEN;
	while (rv == 0 && fgets(line, (int)maxlen + 3, f) != NULL) {
		size_t len = strlen(line);
		bool ended = len > 0 && line[len - 1] == '\n';
		l.lineno++;
		/* Trailing blanks go too: no URL or header ends in one. */
		while (len > 0 && strchr("\r\n \t", line[len - 1]) != NULL)
			line[--len] = '\0';
		if (len > maxlen || (!ended && !feof(f))) {
			snprintf(err, errsize, "%s:%d: line longer than %zu bytes", path, l.lineno,
			    maxlen);
			rv = -1;
			break;
		}
		if (line[strspn(line, " \t")] != '\0' && line[0] != '#')
			rv = take(ctx, &l, err, errsize);
	}
	if (rv == 0 && ferror(f)) {
		snprintf(err, errsize, "webhook %s %s: read error", what, path);
		rv = -1;
	}
	explicit_bzero(line, sizeof(line));
	fclose(f);
	return rv;
}

static int webhook_take_header(void *ctx, const struct webhook_line *l, char *err,
    size_t errsize)
{
	struct webhook *wh = ctx;

	if (webhook_header_ok(l->text) != 0)
		snprintf(err, errsize, "%s:%d: not a header line (want \"Name: value\")", l->path,
		    l->lineno);
	else if (++wh->nheaders > WEBHOOK_HEADERS_MAX)
		snprintf(err, errsize, "%s: more than %d headers", l->path, WEBHOOK_HEADERS_MAX);
	else if (webhook_add(wh, l->text) != 0)
		snprintf(err, errsize, "out of memory");
	else
		return 0;
	return -1;
}

/* A URL line: what alert_route_url_ok takes, and no blank, control or non-ASCII byte. */
static bool webhook_url_ok(const char *s)
{
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return false;
	return alert_route_url_ok(s, strlen(s));
}

static int webhook_take_url(void *ctx, const struct webhook_line *l, char *err, size_t errsize)
{
	struct webhook *wh = ctx;

	if (wh->url != NULL)
		snprintf(err, errsize, "%s:%d: a second URL (want one)", l->path, l->lineno);
	else if (!webhook_url_ok(l->text))
		snprintf(err, errsize, "%s:%d: not a URL (want http://host/... or https://host/...)",
		    l->path, l->lineno);
	else if ((wh->url = strdup(l->text)) == NULL)
		snprintf(err, errsize, "out of memory");
	else
		return 0;
	return -1;
}

/* The webhook's URL: the YAML's, or url_file's one URL line (the URL is then the secret). */
static int webhook_set_url(struct webhook *wh, const struct cfg_webhook *w, char *err,
    size_t errsize)
{
	if (w->url_file != NULL) {
		if (webhook_read_file("url_file", w->url_file, WEBHOOK_URL_LEN, webhook_take_url, wh,
		    err, errsize) != 0)
			return -1;
		if (wh->url == NULL) {
			snprintf(err, errsize, "webhook url_file %s: no URL in it", w->url_file);
			return -1;
		}
		return 0;
	}
	if (w->url == NULL) {
		snprintf(err, errsize, "webhook: neither url nor url_file is set");
		return -1;
	}
	if ((wh->url = strdup(w->url)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	return 0;
}

struct webhook *webhook_open(const struct cfg_webhook *w, char *err, size_t errsize)
{
	struct webhook *wh = calloc(1, sizeof(*wh));

	snprintf(err, errsize, "out of memory");
	if (wh == NULL)
		return NULL;
	wh->timeout_ms = (long)(w->timeout * 1000);
	if (webhook_set_url(wh, w, err, errsize) != 0)
		goto fail;
	snprintf(err, errsize, "out of memory");
	if ((wh->curl = curl_easy_init()) == NULL)
		goto fail;
	if (w->headers_file != NULL && webhook_read_file("headers_file", w->headers_file,
	    WEBHOOK_HEADER_LEN, webhook_take_header, wh, err, errsize) != 0)
		goto fail;
	/* Ours last: a receiver reads the body as JSON whatever the file says. */
	if (webhook_add(wh, "Content-Type: application/json") != 0 || webhook_add(wh, "Expect:") != 0)
		goto fail;
	return wh;
fail:
	webhook_close(wh);
	return NULL;
}

void webhook_close(struct webhook *wh)
{
	if (wh == NULL)
		return;
	if (wh->curl != NULL)
		curl_easy_cleanup(wh->curl);
	curl_slist_free_all(wh->headers);
	if (wh->url != NULL)
		explicit_bzero(wh->url, strlen(wh->url));
	free(wh->url);
	free(wh);
}

/* The answer's body is not wanted: read and dropped. */
static size_t webhook_discard(char *ptr, size_t size, size_t nmemb, void *ud)
{
	(void)ptr;
	(void)ud;
	return size * nmemb;
}

int webhook_post(struct webhook *wh, const char *body, size_t len, const char *delivery,
    char *err, size_t errsize)
{
	char dh[160], cerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *one;
	long status = 0;
	CURL *c = wh->curl;

	snprintf(dh, sizeof(dh), "X-Fwdguard-Delivery: %s", delivery);
	if ((one = curl_slist_append(NULL, dh)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	one->next = wh->headers;	/* borrowed: unlinked before it is freed */
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, wh->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, wh->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, wh->timeout_ms);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, one);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "fwdguard-alerts");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, webhook_discard);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	CURLcode rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	one->next = NULL;
	curl_slist_free_all(one);
	if (rc != CURLE_OK) {
		snprintf(err, errsize, "%s", cerr[0] != '\0' ? cerr : curl_easy_strerror(rc));
		return -1;
	}
	if (status < 200 || status > 299) {
		snprintf(err, errsize, "HTTP status %ld", status);
		return -1;
	}
	return 0;
}
