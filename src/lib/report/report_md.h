/* SPDX-License-Identifier: MIT */
/*
 * `rmcp report`: the doctor's diagnosis as a Markdown block to paste into a ROCm or PyTorch
 * issue, in the spirit of `python -m torch.utils.collect_env` (which every tracker asks for)
 * but with the verdict and its findings. Renders only; the CLI gathers the host facts.
 */
#ifndef RMCP_REPORT_MD_H
#define RMCP_REPORT_MD_H

#include <stdio.h>

#include "probe.h"
#include "verdict.h"

/* What the report adds to the diagnosis, gathered by the caller. */
struct rmcp_report_host {
	const char *os;			/* PRETTY_NAME of etc/os-release, "" */
	const char *python;		/* interpreter path on the examined machine, "" */
	const char *python_version;	/* "3.11" from its name or site-packages, "" */
	const struct rmcp_probe_result *probe;	/* a cached probe result, NULL if none */
};

int rmcp_report_markdown(FILE *out, const struct rmcp_diagnosis *d, const struct rmcp_report_host *h);

/* The "3.11" in ".../python3.11" or ".../lib/python3.11/site-packages"; "" if none. */
void rmcp_python_version_from_path(const char *path, char *out, size_t cap);

/* PRETTY_NAME (else NAME VERSION_ID) of os-release text, unquoted; "" if absent. */
void rmcp_os_release_name(const char *text, size_t len, char *out, size_t cap);

/*
 * Redact text in place for a public issue: every occurrence of home (a path, replaced by
 * "~" when followed by '/' or the end of a path), and of user and host as whole words
 * (neighbours not [A-Za-z0-9_.-]), replaced by "<user>" and "<host>". NULL or short (< 2
 * characters) needles are skipped. Returns a new string (caller frees) or NULL on ENOMEM.
 */
char *rmcp_redact(const char *text, const char *home, const char *user, const char *host);

#endif
