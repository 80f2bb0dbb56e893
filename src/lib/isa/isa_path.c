/* SPDX-License-Identifier: MIT */
/*
 * The ISA checker on a file by path, for the CLI and doctor (not librmcp.so: it uses the
 * SIGBUS guard, mapguard.h). The checker needs each code object whole, so the file is mapped;
 * a file that shrinks meanwhile gives "file changed while being read", not SIGBUS.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "isa.h"
#include "mapguard.h"
#include "banned.h"

struct isa_job {
	const struct rmcp_map *m;
	const struct rmcp_target_id *gpu;
	unsigned flags;
	struct rmcp_isa_file *out;
};

static int isa_job_run(void *arg)
{
	struct isa_job *j = arg;
	return rmcp_isa_check_buffer(j->m->addr, j->m->len, j->gpu, j->flags, j->out);
}

int rmcp_isa_check_path(const char *path, const struct rmcp_target_id *gpu, unsigned flags,
			struct rmcp_isa_file *out, struct rmcp_err *err)
{
	struct stat st;
	memset(out, 0, sizeof(*out));
	/* O_NONBLOCK: a FIFO must not hang the check; it is refused below. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return rmcp_err_set(err, -errno, "%s", strerror(errno));
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return rmcp_err_set(err, -e, "%s", strerror(e));
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0 || (uint64_t)st.st_size > SIZE_MAX) {
		close(fd);
		return rmcp_err_set(err, -EINVAL, "%s", S_ISREG(st.st_mode) ? "empty file" :
				    "not a regular file");
	}
	struct rmcp_map m;
	int rc = rmcp_map_file(fd, (size_t)st.st_size, &m);
	close(fd);
	if (rc < 0)
		return rmcp_err_set(err, rc, "%s", strerror(-rc));
	struct isa_job j = { &m, gpu, flags, out };
	rc = rmcp_map_guarded(&m, isa_job_run, &j, err);
	rmcp_map_release(&m);
	if (rc == -RMCP_E_CHANGED)
		rmcp_isa_file_release(out);	/* what was checked of a file that changed */
	else if (rc < 0 && !out->error)
		rc = rmcp_err_set(err, rc, "%s", rmcp_strerror(rc));
	else
		rc = 0;
	return rc;
}
