/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alert_sendmail.c - submission of alert mail and probes through the
 * configured sendmail command (alert_sendmail.h).  No
 * shell: the command is split at blanks and run with execv, and every
 * address is its own argument after "--", so no value can become an option.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alert_sendmail.h"

#define SENDMAIL_ARGS	32
#define SENDMAIL_RCPTS	64
#define SENDMAIL_WAIT_S	120

/* Feeds msg to the child's stdin and reaps it within the time bound; exit status or -1. */
static int relay_feed(pid_t pid, int fd, const char *msg, size_t len, char *err, size_t errsize)
{
	int status = 0;
	while (len > 0) {
		ssize_t w = write(fd, msg, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;	/* the exit status says why */
		msg += w;
		len -= (size_t)w;
	}
	close(fd);
	for (int i = 0; i < SENDMAIL_WAIT_S * 10; i++) {
		pid_t got = waitpid(pid, &status, WNOHANG);
		if (got == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		if (got < 0 && errno != EINTR) {
			snprintf(err, errsize, "waitpid: %s", strerror(errno));
			return -1;
		}
		usleep(100000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	snprintf(err, errsize, "sendmail did not finish within %d s", SENDMAIL_WAIT_S);
	return -1;
}

/* Runs argv with msg on its stdin; 0 when it exited 0. */
static int relay_spawn(char **argv, const char *msg, size_t len, char *err, size_t errsize)
{
	int fds[2], rv = -1;

	if (pipe2(fds, O_CLOEXEC) != 0) {
		snprintf(err, errsize, "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[0], STDIN_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[0]);
	if (pid < 0) {
		close(fds[1]);
		snprintf(err, errsize, "fork: %s", strerror(errno));
		return -1;
	}
	int st = relay_feed(pid, fds[1], msg, len, err, errsize);
	if (st == 0)
		rv = 0;
	else if (st > 0)
		snprintf(err, errsize, "%s exited with status %d", argv[0], st);
	return rv;
}

int alert_sendmail_submit(const char *command, const char *from, const char *const *to,
    size_t nto, const char *msg, size_t len, char *err, size_t errsize)
{
	char *copy = strdup(command), *save = NULL;
	char *argv[SENDMAIL_ARGS + SENDMAIL_RCPTS + 5];
	int argc = 0, rv = -1;

	snprintf(err, errsize, "cannot run %s", command);
	if (copy == NULL || nto == 0 || nto > SENDMAIL_RCPTS) {
		free(copy);
		return -1;
	}
	for (char *w = strtok_r(copy, " \t", &save); w != NULL && argc < SENDMAIL_ARGS;
	    w = strtok_r(NULL, " \t", &save))
		argv[argc++] = w;
	if (argc > 0) {
		argv[argc++] = (char *)"-i";
		argv[argc++] = (char *)"-f";
		argv[argc++] = (char *)from;
		argv[argc++] = (char *)"--";
		for (size_t i = 0; i < nto; i++)
			argv[argc++] = (char *)to[i];
		argv[argc] = NULL;
		rv = relay_spawn(argv, msg, len, err, errsize);
	}
	free(copy);
	return rv;
}
