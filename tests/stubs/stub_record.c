/* SPDX-License-Identifier: MIT */
/* TEST DOUBLE support: see stub_record.h. */
#include "stub_record.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "banned.h"

static int fd = -1;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void open_record(void)
{
	const char *path = getenv("RMCP_STUB_RECORD");
	fd = path && *path ? open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
}

__attribute__((visibility("hidden"))) void stub_record(const char *fmt, ...)
{
	pthread_once(&once, open_record);
	if (fd < 0)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	ssize_t w = write(fd, line, (size_t)n);
	(void)w;
}
