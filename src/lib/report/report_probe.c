/* SPDX-License-Identifier: MIT */
/* A probe result as JSON (docs/probe.schema.json): report_probe.h. */
#include "report_probe.h"

#include <json-c/json.h>

#include "banned.h"

static json_object *str_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

struct json_object *rmcp_probe_json(const struct rmcp_probe_result *r)
{
	json_object *j = json_object_new_object(), *steps = json_object_new_array();
	if (!j || !steps) {
		json_object_put(j);
		json_object_put(steps);
		return NULL;
	}
	json_object_object_add(j, "outcome", json_object_new_string(rmcp_probe_class_name(r->outcome)));
	json_object_object_add(j, "outcome_text", json_object_new_string(rmcp_probe_class_text(r->outcome)));
	json_object_object_add(j, "failed_step",
			       r->failed_step >= 0 ? json_object_new_string(rmcp_probe_step_name(
							     (enum rmcp_probe_step)r->failed_step))
						   : NULL);
	json_object_object_add(j, "detail", r->failed_step >= 0
						    ? json_object_new_string(r->steps[r->failed_step].detail)
						    : NULL);
	json_object_object_add(j, "device", json_object_new_int(r->device));
	json_object *rt = json_object_new_object();
	json_object_object_add(rt, "source", str_or_null(r->source));
	json_object_object_add(rt, "hip", str_or_null(r->hip_path));
	json_object_object_add(rt, "miopen", str_or_null(r->miopen_path));
	json_object_object_add(rt, "hip_runtime_version",
			       r->runtime_version ? json_object_new_int(r->runtime_version) : NULL);
	json_object_object_add(rt, "hip_driver_version",
			       r->driver_version ? json_object_new_int(r->driver_version) : NULL);
	json_object_object_add(rt, "miopen_version", str_or_null(r->miopen_version));
	json_object_object_add(j, "runtime", rt);
	json_object *gpu = json_object_new_object();
	json_object_object_add(gpu, "count", r->device_count >= 0 ? json_object_new_int(r->device_count) : NULL);
	json_object_object_add(gpu, "name", str_or_null(r->gpu_name));
	json_object_object_add(gpu, "arch", str_or_null(r->gpu_arch));
	json_object_object_add(j, "gpu", gpu);
	for (int i = 0; i < RMCP_PROBE_N_STEPS; i++) {
		const struct rmcp_probe_step_result *st = &r->steps[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "step", json_object_new_string(rmcp_probe_step_name((enum rmcp_probe_step)i)));
		json_object_object_add(o, "status", json_object_new_string(rmcp_probe_class_name(st->cls)));
		json_object_object_add(o, "hip_error", st->hip_error ? json_object_new_int(st->hip_error) : NULL);
		json_object_object_add(o, "ms", st->ended ? json_object_new_double(st->ms) : NULL);
		json_object_object_add(o, "detail", str_or_null(st->detail));
		json_object_array_add(steps, o);
	}
	json_object_object_add(j, "steps", steps);
	json_object *child = json_object_new_object();
	json_object_object_add(child, "exit_code", r->exited ? json_object_new_int(r->exit_code) : NULL);
	json_object_object_add(child, "signal", !r->exited && r->signal ? json_object_new_int(r->signal) : NULL);
	json_object_object_add(child, "timed_out", json_object_new_boolean(r->timed_out));
	json_object_object_add(child, "signature", str_or_null(r->signature));
	json_object_object_add(j, "child", child);
	json_object_object_add(j, "timeout_s", json_object_new_double(r->timeout_s));
	json_object_object_add(j, "elapsed_s", json_object_new_double(r->elapsed_s));
	json_object_object_add(j, "cached", json_object_new_boolean(r->cached));
	json_object_object_add(j, "cached_at", r->cached ? json_object_new_int64(r->cached_at) : NULL);
	json_object_object_add(j, "fingerprint", str_or_null(r->fingerprint));
	return j;
}
