/* SPDX-License-Identifier: MIT */
/*
 * Input that changes under us (issue 13, defect 2): a file that shrinks while rmcp reads it
 * must give "file changed while being read" for that file, never SIGBUS.
 *  - reader.h: the scan engine reads with pread; a file truncated between open and read
 *    (ftruncate between the reads, deterministic) ends that file's scan with RMCP_E_CHANGED.
 *  - mapguard.h: where a parser needs the file mapped (ISA checker, kpack archives), a page
 *    past the new end faults with SIGBUS (mmap(2)); inside the guard that becomes
 *    -RMCP_E_CHANGED, outside it the process still dies of SIGBUS as before.
 * Real input: Debian's librocrand (one .hip_fatbin bundle, research/binaries.md §6).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "mapguard.h"
#include "reader.h"
#include "scan.h"
#include "scan_internal.h"

#define ROCRAND "/usr/lib/x86_64-linux-gnu/librocrand.so.1.1"

/* A copy of librocrand in a temporary file, opened read-write; *size its length. */
static int copy_rocrand(char *path, size_t cap, uint64_t *size)
{
	snprintf(path, cap, "%s/rmcp-reader-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	int out = mkstemp(path);
	int in = open(ROCRAND, O_RDONLY | O_CLOEXEC);
	assert_true(out >= 0);
	assert_true(in >= 0);
	static char buf[1 << 16];
	ssize_t n;
	*size = 0;
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		assert_int_equal(write(out, buf, (size_t)n), n);
		*size += (uint64_t)n;
	}
	close(in);
	return out;
}

/* A reader that truncates its file after `after` reads: the file changes mid-scan. */
struct shrinking {
	struct rmcp_reader fd_reader;
	int fd;
	unsigned reads, after;
	off_t to;
};

static int shrinking_read(struct rmcp_reader *r, uint64_t off, void *dst, size_t n,
			  struct rmcp_err *err)
{
	struct shrinking *s = r->ctx;
	if (s->reads++ == s->after)
		assert_int_equal(ftruncate(s->fd, s->to), 0);
	return rmcp_reader_read(&s->fd_reader, off, dst, n, err);
}

static void test_pread_scan_of_unchanged_file(void **state)
{
	(void)state;
	char path[256];
	uint64_t size;
	int fd = copy_rocrand(path, sizeof(path), &size);
	struct rmcp_reader r;
	struct rmcp_file f;
	rmcp_reader_fd(&r, fd, size);
	assert_int_equal(rmcp_scan_reader(&r, path, NULL, &f), 0);
	assert_null(f.error);
	assert_int_equal(f.bundles, 1);
	assert_int_equal(f.n_entries, 8);	/* host + 7 device targets */
	assert_int_equal(f.n_targets, 7);
	rmcp_file_release(&f);
	close(fd);
	unlink(path);
}

static void expect_changed(unsigned after, off_t to)
{
	char path[256];
	uint64_t size;
	struct shrinking s = { .after = after, .to = to };
	s.fd = copy_rocrand(path, sizeof(path), &size);
	rmcp_reader_fd(&s.fd_reader, s.fd, size);
	struct rmcp_reader r = { .size = size, .read = shrinking_read, .ctx = &s, .fd = -1 };
	struct rmcp_file f;
	assert_int_equal(rmcp_scan_reader(&r, path, NULL, &f), 0);
	if (!f.error || !strstr(f.error, "file changed while being read"))
		fail_msg("after %u reads, cut to %lld: error %s", after, (long long)to,
			 f.error ? f.error : "(none)");
	assert_true(s.reads > after);	/* the cut really happened mid-scan */
	rmcp_file_release(&f);
	close(s.fd);
	unlink(path);
}

/* Cut before the section headers (read 2), and in the middle of .hip_fatbin once the
 * section table and names have been read (the bundle walk comes after read 3). */
static void test_pread_scan_of_shrinking_file(void **state)
{
	(void)state;
	expect_changed(1, 1 << 20);
	expect_changed(4, 13 << 20);
}

static void test_reader_bounds(void **state)
{
	(void)state;
	static const uint8_t b[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct rmcp_reader r, w;
	struct rmcp_err err = { 0 };
	uint8_t out[8];
	size_t got;
	rmcp_reader_mem(&r, b, sizeof(b));
	assert_int_equal(rmcp_reader_read(&r, 4, out, 5, &err), -RMCP_E_TRUNC);
	assert_int_equal(rmcp_reader_read(&r, UINT64_MAX, out, 1, NULL), -RMCP_E_TRUNC);
	assert_int_equal(rmcp_reader_head(&r, 6, out, 8, &got, NULL), 0);
	assert_int_equal(got, 2);
	assert_int_equal(out[1], 8);
	rmcp_reader_window(&w, &r, 2, 4);
	assert_int_equal(rmcp_reader_read(&w, 0, out, 4, NULL), 0);
	assert_int_equal(out[0], 3);
	assert_int_equal(rmcp_reader_read(&w, 1, out, 4, NULL), -RMCP_E_TRUNC);
}

/* ---- mapguard ------------------------------------------------------------------------ */

struct touch {
	const volatile uint8_t *p;
	size_t len;
	unsigned sum;
};

static int touch_all(void *arg)
{
	struct touch *t = arg;
	for (size_t i = 0; i < t->len; i += 4096)
		t->sum += t->p[i];
	t->sum += t->p[t->len - 1];
	return 7;
}

static int mapped_temp(char *path, size_t cap, size_t len, struct rmcp_map *m)
{
	snprintf(path, cap, "%s/rmcp-guard-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)len), 0);
	assert_int_equal(pwrite(fd, "x", 1, (off_t)len - 1), 1);
	assert_int_equal(rmcp_map_file(fd, len, m), 0);
	return fd;
}

static void test_guard_turns_sigbus_into_changed(void **state)
{
	(void)state;
	char path[256];
	struct rmcp_map m;
	size_t len = 256 << 10;
	int fd = mapped_temp(path, sizeof(path), len, &m);
	struct touch t = { m.addr, m.len, 0 };
	struct rmcp_err err = { 0 };
	assert_int_equal(rmcp_map_guarded(&m, touch_all, &t, &err), 7);	/* intact: fn's result */
	assert_int_equal(ftruncate(fd, 4096), 0);
	/* Twice: the handler must work again after a jump (the signal mask is restored). */
	for (int i = 0; i < 2; i++) {
		rmcp_err_clear(&err);
		assert_int_equal(rmcp_map_guarded(&m, touch_all, &t, &err), -RMCP_E_CHANGED);
		assert_non_null(strstr(err.msg, "file changed while being read"));
	}
	rmcp_map_release(&m);
	close(fd);
	unlink(path);
}

/* A SIGBUS that is not inside a guarded mapping still kills the process. */
static void test_guard_leaves_other_sigbus_alone(void **state)
{
	(void)state;
	char path[256];
	struct rmcp_map m, other;
	int fd = mapped_temp(path, sizeof(path), 64 << 10, &m);
	char path2[256];
	int fd2 = mapped_temp(path2, sizeof(path2), 64 << 10, &other);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct touch t = { other.addr, other.len, 0 };
		struct rmcp_err err = { 0 };
		/* What the process had before rmcp (cmocka catches SIGBUS in the parent). This test
		 * runs first, so the guard's handler is installed here, over SIG_DFL. */
		signal(SIGBUS, SIG_DFL);
		if (ftruncate(fd2, 0) != 0)
			_exit(2);
		/* The guard covers m, the fault is in `other`. */
		rmcp_map_guarded(&m, touch_all, &t, &err);
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGBUS);
	rmcp_map_release(&m);
	rmcp_map_release(&other);
	close(fd);
	close(fd2);
	unlink(path);
	unlink(path2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guard_leaves_other_sigbus_alone),	/* first: see inside */
		cmocka_unit_test(test_reader_bounds),
		cmocka_unit_test(test_pread_scan_of_unchanged_file),
		cmocka_unit_test(test_pread_scan_of_shrinking_file),
		cmocka_unit_test(test_guard_turns_sigbus_into_changed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
