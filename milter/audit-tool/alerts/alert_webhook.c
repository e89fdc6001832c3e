/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alert_webhook.c - webhook POSTs with libcurl (see alert_webhook.h).
 * Each webhook keeps its easy handle, so connections are reused between
 * alerts; its channel thread is the only one using it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "alert_webhook.h"

struct webhook {
	CURL *curl;
	char *url;
	long timeout_ms;
	struct curl_slist *headers;	/* headers_file's lines and ours */
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

/* Reads headers_file; 0, or -1 with a reason (never the line: it holds secrets). */
static int webhook_read_headers(struct webhook *wh, const char *path, char *err, size_t errsize)
{
	char line[WEBHOOK_HEADER_LEN + 2];
	int n = 0, lineno = 0, rv = 0;
	FILE *f = fopen(path, "re");

	if (f == NULL) {
		snprintf(err, errsize, "webhook headers_file %s: %s", path, strerror(errno));
		return -1;
	}
	while (rv == 0 && fgets(line, sizeof(line), f) != NULL) {
		size_t len = strlen(line);
		lineno++;
		if (len > WEBHOOK_HEADER_LEN) {
			snprintf(err, errsize, "%s:%d: line longer than %d bytes", path, lineno,
			    WEBHOOK_HEADER_LEN);
			rv = -1;
			break;
		}
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (webhook_header_ok(line) != 0) {
			snprintf(err, errsize, "%s:%d: not a header line (want \"Name: value\")", path,
			    lineno);
			rv = -1;
		} else if (++n > WEBHOOK_HEADERS_MAX) {
			snprintf(err, errsize, "%s: more than %d headers", path, WEBHOOK_HEADERS_MAX);
			rv = -1;
		} else if (webhook_add(wh, line) != 0) {
			snprintf(err, errsize, "out of memory");
			rv = -1;
		}
	}
	if (rv == 0 && ferror(f)) {
		snprintf(err, errsize, "webhook headers_file %s: read error", path);
		rv = -1;
	}
	explicit_bzero(line, sizeof(line));
	fclose(f);
	return rv;
}

struct webhook *webhook_open(const struct cfg_webhook *w, char *err, size_t errsize)
{
	struct webhook *wh = calloc(1, sizeof(*wh));

	snprintf(err, errsize, "out of memory");
	if (wh == NULL)
		return NULL;
	wh->timeout_ms = (long)(w->timeout * 1000);
	if ((wh->url = strdup(w->url)) == NULL || (wh->curl = curl_easy_init()) == NULL)
		goto fail;
	if (w->headers_file != NULL && webhook_read_headers(wh, w->headers_file, err, errsize) != 0)
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
