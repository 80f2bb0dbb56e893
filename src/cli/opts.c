/* SPDX-License-Identifier: MIT */
/* Options, help and usage errors from each command's table (opts.h). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "opts.h"
#include "banned.h"

static const struct rmcp_opt help_opt = RMCP_OPT('h', "help", NULL, "show this help");

void rmcp_opt_init(struct rmcp_optparse *p, const struct rmcp_cmd_help *cmd, int argc, char **argv)
{
	memset(p, 0, sizeof(*p));
	p->cmd = cmd;
	p->argc = argc;
	p->argv = argv;
	size_t n = 0, s = 0;
	if (cmd->stop_at_operand)
		p->shortopts[s++] = '+';
	p->shortopts[s++] = ':';	/* a missing value is ':', not '?' */
	for (const struct rmcp_opt *o = cmd->opts;; o++) {
		if (!o->name)
			o = &help_opt;
		/* The tables are static and small; a longer one is a programming error. */
		if (n >= RMCP_OPT_MAX || s + 3 >= sizeof(p->shortopts))
			abort();
		p->longopts[n++] = (struct option){ o->name, o->arg ? required_argument : no_argument,
						    NULL, o->key };
		if (!o->long_only) {
			p->shortopts[s++] = (char)o->key;
			if (o->arg)
				p->shortopts[s++] = ':';
		}
		if (o == &help_opt)
			break;
	}
	p->shortopts[s] = '\0';
	optind = 1;
	opterr = 0;	/* our own messages: "rmcp: CMD: ..." */
}

int rmcp_opt_next(struct rmcp_optparse *p)
{
	const struct rmcp_cmd_help *c = p->cmd;
	int opt = getopt_long(p->argc, p->argv, p->shortopts, p->longopts, NULL);
	p->arg = optarg;
	switch (opt) {
	case -1:
		p->ind = optind;
		if (!c->operands && optind < p->argc) {
			p->status = rmcp_cmd_usage_error(c, "unexpected argument '%s'", p->argv[optind]);
			return RMCP_OPT_EXIT;
		}
		return RMCP_OPT_END;
	case 'h':
		rmcp_cmd_print_help(c, stdout);
		p->status = rmcp_finish_stdout(c->name, RMCP_EXIT_OK);
		return RMCP_OPT_EXIT;
	case ':':
		p->status = rmcp_cmd_usage_error(c, "option '%s' needs a value", p->argv[optind - 1]);
		return RMCP_OPT_EXIT;
	case '?':
		p->status = rmcp_cmd_usage_error(c, "unknown option '%s'", p->argv[optind - 1]);
		return RMCP_OPT_EXIT;
	default:
		return opt;
	}
}

/* "  -s, --sysroot DIR" padded to the help column, or alone on its line when too wide. */
static void print_option(const struct rmcp_opt *o, int column, FILE *out)
{
	char left[96];
	int n;
	if (o->long_only)
		n = snprintf(left, sizeof(left), "      --%s%s%s", o->name, o->arg ? " " : "",
			     o->arg ? o->arg : "");
	else
		n = snprintf(left, sizeof(left), "  -%c, --%s%s%s", o->key, o->name, o->arg ? " " : "",
			     o->arg ? o->arg : "");
	if (n < 0)
		return;
	if (n <= column - 2)
		fprintf(out, "%-*s", column, left);
	else
		fprintf(out, "%s\n%*s", left, column, "");
	for (const char *h = o->help;;) {
		const char *nl = strchr(h, '\n');
		if (!nl) {
			fprintf(out, "%s\n", h);
			break;
		}
		fprintf(out, "%.*s\n%*s", (int)(nl - h), h, column, "");
		h = nl + 1;
	}
}

static void print_body(const struct rmcp_cmd_help *cmd, FILE *out)
{
	int column = cmd->column ? cmd->column : 22;
	fputs(cmd->about, out);
	for (const struct rmcp_opt *o = cmd->opts; o->name; o++)
		print_option(o, column, out);
	print_option(&help_opt, column, out);
	fputs(cmd->after, out);
}

void rmcp_cmd_print_help(const struct rmcp_cmd_help *cmd, FILE *out)
{
	for (size_t i = 0; cmd->usage[i]; i++)
		fprintf(out, "%s%s\n", i ? "       " : "usage: ", cmd->usage[i]);
	fputc('\n', out);
	/* The body goes through rmcp_help_print, which cites installed docs (cmd.h). */
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (mem) {
		print_body(cmd, mem);
		if (fclose(mem) == 0 && text) {
			rmcp_help_print(out, text);
			free(text);
			return;
		}
		free(text);
	}
	print_body(cmd, out);	/* out of memory: the docs/ paths as in the source tree */
}

int rmcp_cmd_usage_error(const struct rmcp_cmd_help *cmd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rmcp_error(cmd->name, "%s", msg);
	fprintf(stderr, "usage: %s\n", cmd->usage[0]);
	return cmd->usage_status ? cmd->usage_status : RMCP_EXIT_USAGE;
}

const char *rmcp_cmd_option_name(const struct rmcp_cmd_help *cmd, int key)
{
	for (const struct rmcp_opt *o = cmd->opts; o->name; o++)
		if (o->key == key)
			return o->name;
	return "?";
}

unsigned rmcp_edit_distance(const char *a, const char *b, unsigned cap)
{
	/* Optimal string alignment (Levenshtein plus swaps of neighbours, so "sacn" is one
	 * typo from "scan"). Names longer than 31 are never close to a command. */
	unsigned d[32][32];
	size_t la = strlen(a), lb = strlen(b);
	if (la > 31 || lb > 31)
		return cap;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			unsigned v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb] < cap ? d[la][lb] : cap;
}
