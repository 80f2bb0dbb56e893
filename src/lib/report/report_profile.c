/* SPDX-License-Identifier: MIT */
/* `rmcp env`'s output: the profile as shell lines or JSON (report_profile.h). */
#include "report_profile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "banned.h"


int rmcp_shell_quote(enum rmcp_shell sh, const char *value, char *buf, size_t cap)
{
	size_t n = 0;
#define PUT(c)                                   \
	do {                                     \
		if (n + 1 >= cap)                \
			return -RMCP_E_LIMIT;    \
		buf[n++] = (c);                  \
	} while (0)
	PUT('\'');
	for (const char *q = value; *q; q++) {
		if (*q == '\'' && sh == RMCP_SHELL_SH) {
			/* close the quote, an escaped quote, reopen: 'it'\''s' */
			PUT('\'');
			PUT('\\');
			PUT('\'');
			PUT('\'');
		} else if ((*q == '\'' || *q == '\\') && sh == RMCP_SHELL_FISH) {
			PUT('\\');
			PUT(*q);
		} else {
			PUT(*q);
		}
	}
	PUT('\'');
#undef PUT
	buf[n] = '\0';
	return (int)n;
}

int rmcp_profile_write_shell(FILE *out, const struct rmcp_profile *p, enum rmcp_shell sh)
{
	char quoted[2 * RMCP_PROFILE_VALUE_MAX + 8];
	if (p->kind == RMCP_PROFILE_CPU)
		fprintf(out, "# rmcp: CPU profile: %s\n", p->reason);
	else if (p->diagnosed)
		fprintf(out, "# rmcp: GPU profile; rmcp doctor with it: %s: %s\n",
			rmcp_verdict_name(p->verdict_profile), p->summary_profile);
	else
		fprintf(out, "# rmcp: GPU profile\n");
	for (size_t i = 0; i < p->n_vars; i++) {
		const struct rmcp_profile_var *v = &p->vars[i];
		fprintf(out, "# %s: %s\n", v->rule, v->why);
		if (v->op == RMCP_PROFILE_UNSET) {
			fprintf(out, sh == RMCP_SHELL_FISH ? "set -e %s\n" : "unset %s\n", v->name);
			continue;
		}
		if (rmcp_shell_quote(sh, v->value, quoted, sizeof(quoted)) < 0)
			return -RMCP_E_LIMIT;
		fprintf(out, sh == RMCP_SHELL_FISH ? "set -gx %s %s\n" : "export %s=%s\n", v->name,
			quoted);
	}
	return ferror(out) ? -EIO : 0;
}

static json_object *jstr_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

struct json_object *rmcp_profile_json(const struct rmcp_profile *p)
{
	json_object *j = json_object_new_object(), *vars = json_object_new_array(),
		    *gpus = json_object_new_array();
	if (!j || !vars || !gpus) {
		json_object_put(j);
		json_object_put(vars);
		json_object_put(gpus);
		return NULL;
	}
	json_object_object_add(j, "device", json_object_new_string(rmcp_profile_kind_name(p->kind)));
	json_object_object_add(j, "reason", json_object_new_string(p->reason));
	for (size_t i = 0; i < p->n_vars; i++) {
		const struct rmcp_profile_var *v = &p->vars[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(v->name));
		json_object_object_add(o, "op", json_object_new_string(rmcp_profile_op_name(v->op)));
		json_object_object_add(o, "value", v->op == RMCP_PROFILE_SET
							   ? json_object_new_string(v->value) : NULL);
		json_object_object_add(o, "rule", json_object_new_string(v->rule));
		json_object_object_add(o, "why", json_object_new_string(v->why));
		json_object_object_add(o, "evidence", jstr_or_null(v->evidence));
		json_object_object_add(o, "gpu", v->gpu >= 0 ? json_object_new_int(v->gpu) : NULL);
		json_object_array_add(vars, o);
	}
	json_object_object_add(j, "variables", vars);
	for (size_t i = 0; i < p->n_gpus; i++) {
		const struct rmcp_profile_gpu *g = &p->gpus[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "name", jstr_or_null(g->name));
		json_object_object_add(o, "gfx", json_object_new_string(g->gfx));
		json_object_object_add(o, "gfx_effective", json_object_new_string(g->gfx_effective));
		json_object_object_add(o, "hip_index",
				       g->hip_index >= 0 ? json_object_new_int(g->hip_index) : NULL);
		json_object_object_add(o, "verdict", json_object_new_string(rmcp_verdict_name(g->verdict)));
		json_object_object_add(o, "verdict_profile",
				       json_object_new_string(rmcp_verdict_name(g->verdict_profile)));
		json_object_array_add(gpus, o);
	}
	json_object_object_add(j, "gpus", gpus);
	if (p->diagnosed) {
		json_object *doc = json_object_new_object();
		json_object_object_add(doc, "verdict", json_object_new_string(rmcp_verdict_name(p->verdict)));
		json_object_object_add(doc, "summary", json_object_new_string(p->summary));
		json_object_object_add(doc, "verdict_profile",
				       json_object_new_string(rmcp_verdict_name(p->verdict_profile)));
		json_object_object_add(doc, "summary_profile", json_object_new_string(p->summary_profile));
		json_object_object_add(j, "doctor", doc);
	} else {
		json_object_object_add(j, "doctor", NULL);
	}
	json_object_object_add(j, "preload", jstr_or_null(p->preload));
	json_object_object_add(j, "torch", jstr_or_null(p->torch_dir));
	json_object_object_add(j, "dropped", json_object_new_int((int)p->n_dropped));
	return j;
}
