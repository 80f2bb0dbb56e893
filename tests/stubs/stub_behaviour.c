/* SPDX-License-Identifier: MIT */
/* TEST DOUBLE support: see stub_behaviour.h. */
#include "stub_behaviour.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stub_record.h"
#include "banned.h"

#define MAX_RULES 16

struct rule {
	char action[16];	/* hang, fault, aperture, error, wrong */
	int code;		/* error=N */
	char func[64];
};

static struct rule rules[MAX_RULES];
static size_t n_rules;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void parse(void)
{
	const char *v = getenv("RMCP_STUB_BEHAVIOUR");
	if (!v)
		return;
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", v);
	char *save = NULL;
	for (char *item = strtok_r(buf, ",", &save); item && n_rules < MAX_RULES;
	     item = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(item, ':');
		if (!colon)
			continue;
		*colon = '\0';
		struct rule *r = &rules[n_rules];
		memset(r, 0, sizeof(*r));
		if (strncmp(item, "error=", 6) == 0) {
			char *end;
			errno = 0;
			long code = strtol(item + 6, &end, 10);
			if (errno || end == item + 6 || *end || code <= 0 || code > 100000)
				continue;
			r->code = (int)code;
			snprintf(r->action, sizeof(r->action), "error");
		} else {
			snprintf(r->action, sizeof(r->action), "%s", item);
		}
		snprintf(r->func, sizeof(r->func), "%s", colon + 1);
		n_rules++;
	}
}

static const struct rule *find(const char *func)
{
	pthread_once(&once, parse);
	for (size_t i = 0; i < n_rules; i++)
		if (strcmp(rules[i].func, func) == 0)
			return &rules[i];
	return NULL;
}

static void say(const char *text)
{
	size_t n = strlen(text);
	while (n) {
		ssize_t w = write(2, text, n);
		if (w <= 0)
			return;
		text += w;
		n -= (size_t)w;
	}
}

static void hang(const char *func)
{
	pid_t helper = fork();
	if (helper == 0) {
		for (;;)
			pause();
	}
	const char *pidfile = getenv("RMCP_STUB_PIDFILE");
	if (helper > 0 && pidfile && *pidfile) {
		int fd = open(pidfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0) {
			char line[32];
			int n = snprintf(line, sizeof(line), "%ld\n", (long)helper);
			ssize_t w = write(fd, line, (size_t)n);
			(void)w;
			close(fd);
		}
	}
	stub_record("%s behaviour=hang helper=%ld", func, (long)helper);
	for (;;)
		pause();
}

__attribute__((visibility("hidden"))) int stub_behave(const char *func)
{
	const struct rule *r = find(func);
	if (!r)
		return 0;
	if (strcmp(r->action, "hang") == 0)
		hang(func);
	if (strcmp(r->action, "fault") == 0) {
		stub_record("%s behaviour=fault", func);
		/* ROCr's wording (runtime.cpp VMFaultHandler), with a made-up handle and address */
		say("Memory access fault by GPU node-1 (Agent handle: 0x55d5a8e7f2b0) on address "
		    "0x7f3a2c200000. Reason: Page not present or supervisor privilege.\n");
		abort();
	}
	if (strcmp(r->action, "aperture") == 0) {
		stub_record("%s behaviour=aperture", func);
		/* clr's wording (rocvirtual.cpp / rocdevice.cpp callbackQueue) */
		say(":0:rocdevice.cpp            :2614: 3208326265 us: 8573 : [tid:0x7f6c8a7fc640] "
		    "Device::callbackQueue aborting with error : HSA_STATUS_ERROR_MEMORY_APERTURE_VIOLATION: "
		    "The agent attempted to access memory beyond the largest legal address. code: 0x29\n");
		abort();
	}
	if (strcmp(r->action, "error") == 0) {
		stub_record("%s behaviour=error code=%d", func, r->code);
		return r->code;
	}
	return 0;
}

__attribute__((visibility("hidden"))) bool stub_wrong(const char *func)
{
	const struct rule *r = find(func);
	return r && strcmp(r->action, "wrong") == 0;
}
