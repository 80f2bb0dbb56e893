/* SPDX-License-Identifier: MIT */
/*
 * The `.rocm_kpack_ref` marker TheRock's splitter leaves in a host binary whose device code
 * moved to .kpack archives: msgpack {kpack_search_paths: [str], kernel_name: str}
 * (py:elf/kpack_transform.py add_kpack_ref_section(), rt:loader.cpp parse_hipk_metadata();
 * all format sources are in kpack.c's header). See kpack.h.
 */
#include "kpack.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kpack_internal.h"
#include "msgpack.h"
#include "banned.h"

static int ref_paths(struct rmcp_mp *mp, struct rmcp_kpack_ref *out, struct rmcp_err *err)
{
	const char *w = "kpack ref: kpack_search_paths";
	size_t cap = 0;
	uint32_t n;
	int rc;

	rc = rmcp_mp_read_array(mp, &n);
	if (rc)
		return rmcp_kpack_mp_fail(err, rc, w, mp->pos);
	for (uint32_t i = 0; i < n; i++) {
		struct rmcp_mp_item it;
		size_t pos = mp->pos;

		rc = rmcp_mp_peek(mp, &it);
		if (rc)
			return rmcp_kpack_mp_fail(err, rc, w, pos);
		/* loader.cpp parse_hipk_metadata() ignores entries that are not strings */
		if (it.type != RMCP_MP_STR) {
			rc = rmcp_mp_skip(mp);
			if (rc)
				return rmcp_kpack_mp_fail(err, rc, w, pos);
			continue;
		}
		if (out->n_search_paths == RMCP_KPACK_MAX_SEARCH_PATHS)
			return rmcp_err_set(err, -RMCP_E_LIMIT, "%s: more than %d paths", w,
					    RMCP_KPACK_MAX_SEARCH_PATHS);
		if (rmcp_kpack_grow((void **)&out->search_paths, &cap, out->n_search_paths, sizeof(char *)))
			return rmcp_err_set(err, -ENOMEM, "%s: out of memory", w);
		(void)rmcp_mp_next(mp, &it);	/* cannot fail: peeked above */
		rc = rmcp_kpack_dup_str((const char *)it.data, it.len, RMCP_KPACK_MAX_PATH,
			     &out->search_paths[out->n_search_paths], err, w, pos);
		if (rc)
			return rc;
		out->n_search_paths++;
	}
	return 0;
}

static int ref_parse(struct rmcp_mp *mp, struct rmcp_kpack_ref *out, struct rmcp_err *err)
{
	bool have_paths = false;
	uint32_t n;
	int rc;

	rc = rmcp_mp_read_map(mp, &n);
	if (rc)
		return rc == -RMCP_E_FORMAT
			? rmcp_err_set(err, rc, "kpack ref: not a msgpack map")
			: rmcp_kpack_mp_fail(err, rc, "kpack ref", mp->pos);
	for (uint32_t i = 0; i < n; i++) {
		struct rmcp_mp_item key;
		size_t pos = mp->pos;

		rc = rmcp_mp_next(mp, &key);
		if (rc)
			return rmcp_kpack_mp_fail(err, rc, "kpack ref", pos);
		if (rmcp_mp_str_eq(&key, "kernel_name")) {
			const char *s;
			uint32_t len;

			if (out->kernel_name)
				return rmcp_err_set(err, -RMCP_E_FORMAT, "kpack ref: duplicate "
						    "kernel_name");
			pos = mp->pos;
			rc = rmcp_mp_read_str(mp, &s, &len);
			if (rc)
				return rmcp_kpack_mp_fail(err, rc, "kpack ref: kernel_name", pos);
			rc = rmcp_kpack_dup_str(s, len, RMCP_KPACK_MAX_PATH, &out->kernel_name, err,
				     "kpack ref: kernel_name", pos);
		} else if (rmcp_mp_str_eq(&key, "kpack_search_paths")) {
			if (have_paths)
				return rmcp_err_set(err, -RMCP_E_FORMAT, "kpack ref: duplicate "
						    "kpack_search_paths");
			have_paths = true;
			rc = ref_paths(mp, out, err);
		} else {
			pos = mp->pos;
			rc = rmcp_mp_skip(mp);
			if (rc)
				return rmcp_kpack_mp_fail(err, rc, "kpack ref", pos);
		}
		if (rc)
			return rc;
	}
	if (!out->kernel_name)
		return rmcp_err_set(err, -RMCP_E_FORMAT, "kpack ref: no kernel_name");
	if (!out->n_search_paths)
		return rmcp_err_set(err, -RMCP_E_FORMAT, "kpack ref: no kpack_search_paths");
	return 0;
}

int rmcp_kpack_ref_parse(const void *buf, size_t len, struct rmcp_kpack_ref *out,
			 struct rmcp_err *err)
{
	struct rmcp_mp mp;
	int rc;

	memset(out, 0, sizeof(*out));
	rmcp_mp_init(&mp, buf, len);
	rc = ref_parse(&mp, out, err);
	if (rc)
		rmcp_kpack_ref_release(out);
	return rc;
}

void rmcp_kpack_ref_release(struct rmcp_kpack_ref *ref)
{
	if (!ref)
		return;
	rmcp_kpack_free_strv(ref->search_paths, ref->n_search_paths);
	free(ref->kernel_name);
	memset(ref, 0, sizeof(*ref));
}
