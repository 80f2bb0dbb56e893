/* SPDX-License-Identifier: MIT */
/*
 * fsutil.h (issue 13): the one way rmcp replaces a file, and the trust checks of its caches.
 * Each case is a defect of the old writers (fopen("w") of FILE.tmp.PID, rename over anything).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "error.h"
#include "fsutil.h"
#include "isa.h"

static char root[64];

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/rmcp-fsutil-XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s'; rm -rf '%s'", root, root);
	return system(cmd) == 0 ? 0 : -1;
}

static void at(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", root, name);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static size_t count_entries(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", root);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char line[32] = "";
	assert_non_null(fgets(line, sizeof(line), p));
	pclose(p);
	return (size_t)strtoul(line, NULL, 10);
}

/* A regular file is replaced whole, with the mode asked for, and nothing is left behind. */
static void safe_replaces_regular_file(void **state)
{
	(void)state;
	char p[128];
	at(p, sizeof(p), "report.prom");
	write_text(p, "old\n");
	size_t before = count_entries();
	assert_int_equal(rmcp_safe_write(p, "new\n", 4, 0600), 0);
	char buf[16] = "";
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "new\n");
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600 & ~0u);
	assert_int_equal(count_entries(), before);	/* no temporary file left */
	unlink(p);
}

/* Defect 1: a FIFO, a directory, a device node and a symbolic link are not replaced. */
static void safe_refuses_special_files(void **state)
{
	(void)state;
	char fifo[128], dir[128], link[128], target[128];
	at(fifo, sizeof(fifo), "fifo");
	at(dir, sizeof(dir), "dir");
	at(link, sizeof(link), "link");
	at(target, sizeof(target), "target");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(mkdir(dir, 0700), 0);
	write_text(target, "keep\n");
	assert_int_equal(symlink(target, link), 0);
	size_t before = count_entries();
	const char *refused[] = { fifo, dir, link, "/dev/null", "/dev/zero", root };
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct rmcp_safe_file sf;
		assert_int_equal(rmcp_safe_open(&sf, refused[i], 0644, false), -RMCP_E_NOTREG);
	}
	struct stat st;
	assert_int_equal(lstat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(lstat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(count_entries(), before);
	/* "/dev/stdout" and "-" mean standard output only when the caller allows it */
	struct rmcp_safe_file sf;
	assert_int_equal(rmcp_safe_open(&sf, "/dev/stdout", 0644, false), -RMCP_E_NOTREG);
	assert_int_equal(rmcp_safe_open(&sf, "/dev/stdout", 0644, true), 0);
	assert_ptr_equal(sf.f, stdout);
	assert_int_equal(rmcp_safe_commit(&sf), 0);
	unlink(link);
	unlink(target);
	unlink(fifo);
	rmdir(dir);
}

/* Something put at the target while the report was written is not replaced either. */
static void safe_rechecks_before_rename(void **state)
{
	(void)state;
	char p[128], other[128];
	at(p, sizeof(p), "out");
	at(other, sizeof(other), "other");
	write_text(other, "other\n");
	struct rmcp_safe_file sf;
	assert_int_equal(rmcp_safe_open(&sf, p, 0644, false), 0);
	fputs("data\n", sf.f);
	assert_int_equal(symlink(other, p), 0);
	assert_int_equal(rmcp_safe_commit(&sf), -RMCP_E_NOTREG);
	struct stat st;
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(count_entries(), 2);	/* the temporary file is gone */
	unlink(p);
	unlink(other);
}

/* The temporary file is created O_EXCL|O_NOFOLLOW under a random name: a planted link at the
 * old predictable name (FILE.tmp.PID) is neither followed nor used. */
static void safe_ignores_planted_temporary(void **state)
{
	(void)state;
	char p[128], planted[160], victim[128];
	at(p, sizeof(p), "out");
	at(victim, sizeof(victim), "victim");
	write_text(victim, "victim\n");
	snprintf(planted, sizeof(planted), "%s.tmp.%ld", p, (long)getpid());
	assert_int_equal(symlink(victim, planted), 0);
	assert_int_equal(rmcp_safe_write(p, "x\n", 2, 0644), 0);
	char buf[16] = "";
	FILE *f = fopen(victim, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "victim\n");
	unlink(planted);
	unlink(victim);
	unlink(p);
}

/* Defect 9: a cache directory someone else can write to, or owned by another user, is no
 * cache; an entry must be a regular file of the user's. */
static void cache_dir_trust(void **state)
{
	(void)state;
	char d[128];
	at(d, sizeof(d), "cache");
	assert_int_equal(rmcp_cache_dir_check(d), -ENOENT);
	assert_int_equal(rmcp_cache_dir_prepare(d), 0);
	assert_int_equal(rmcp_cache_dir_check(d), 0);
	assert_int_equal(chmod(d, 0777), 0);
	assert_int_equal(rmcp_cache_dir_check(d), -RMCP_E_UNTRUSTED);
	assert_int_equal(chmod(d, 0770), 0);
	assert_int_equal(rmcp_cache_dir_check(d), -RMCP_E_UNTRUSTED);
	assert_int_equal(chmod(d, 0755), 0);
	assert_int_equal(rmcp_cache_dir_check(d), 0);
	/* another user's directory: as root, give it away; otherwise "/" is root's */
	if (geteuid() == 0) {
		assert_int_equal(chown(d, 65534, 65534), 0);
		assert_int_equal(rmcp_cache_dir_check(d), -RMCP_E_UNTRUSTED);
		assert_int_equal(chown(d, 0, 0), 0);
	} else {
		assert_int_equal(rmcp_cache_dir_check("/"), -RMCP_E_UNTRUSTED);
	}
	char e[160], fifo[160], link[160];
	snprintf(e, sizeof(e), "%s/entry", d);
	snprintf(fifo, sizeof(fifo), "%s/fifo", d);
	snprintf(link, sizeof(link), "%s/link", d);
	write_text(e, "x");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(symlink(e, link), 0);
	int fd = rmcp_cache_entry_open(e);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);
	assert_int_equal(rmcp_cache_entry_open(fifo), -RMCP_E_NOTREG);	/* and does not hang */
	assert_int_equal(rmcp_cache_entry_open(link), -ELOOP);
	assert_int_equal(chmod(e, 0666), 0);
	assert_int_equal(rmcp_cache_entry_open(e), -RMCP_E_UNTRUSTED);
	unlink(e);
	unlink(fifo);
	unlink(link);
	rmdir(d);
}

/* Defect 8: the log opener never blocks on a FIFO and takes only regular files. */
static void log_open_refuses_fifo(void **state)
{
	(void)state;
	char fifo[128], log[128], link[128];
	at(fifo, sizeof(fifo), "log.fifo");
	at(log, sizeof(log), "log.txt");
	at(link, sizeof(link), "log.link");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(rmcp_open_append_regular(fifo), -ENXIO);	/* no reader: at once */
	int rd = open(fifo, O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	assert_int_equal(rmcp_open_append_regular(fifo), -RMCP_E_NOTREG);	/* with a reader */
	close(rd);
	assert_int_equal(rmcp_open_append_regular("/dev/null"), -RMCP_E_NOTREG);
	int fd = rmcp_open_append_regular(log);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & (O_NONBLOCK | O_APPEND), O_APPEND);
	close(fd);
	assert_int_equal(symlink(log, link), 0);
	assert_int_equal(rmcp_open_append_regular(link), -ELOOP);
	unlink(fifo);
	unlink(log);
	unlink(link);
}

/* Defect 9: an ISA verdict is used only under the key it was stored for, only from a
 * directory that is the user's alone. */
static void isa_cache_entry_must_match_key(void **state)
{
	(void)state;
	char d[128], key[RMCP_ISA_KEY_LEN], key2[RMCP_ISA_KEY_LEN];
	at(d, sizeof(d), "isa");
	struct rmcp_target_id g;
	assert_int_equal(rmcp_target_id_parse("gfx1010", 7, &g, NULL), 0);
	assert_int_equal(rmcp_isa_cache_key("good", 4, &g, 0, key), 0);
	assert_int_equal(rmcp_isa_cache_key("evil", 4, &g, 0, key2), 0);
	struct rmcp_isa_report r, out;
	memset(&r, 0, sizeof(r));
	r.verdict = RMCP_ISA_OK;
	snprintf(r.real_target, sizeof(r.real_target), "gfx1010");
	struct rmcp_err err;
	assert_int_equal(rmcp_isa_cache_store(d, key, &r, &err), 0);
	assert_int_equal(rmcp_isa_cache_load(d, key, &out, &err), 0);
	rmcp_isa_report_release(&out);
	/* the "ok" verdict of one code object copied to another's name is not believed */
	char a[256], b[256], cmd[600];
	snprintf(a, sizeof(a), "%s/%s.isa", d, key);
	snprintf(b, sizeof(b), "%s/%s.isa", d, key2);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", a, b);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(rmcp_isa_cache_load(d, key2, &out, &err), -RMCP_E_FORMAT);
	assert_non_null(strstr(err.msg, "another key"));
	/* a directory others can write to is not read at all, nor written */
	assert_int_equal(chmod(d, 0777), 0);
	assert_int_equal(rmcp_isa_cache_load(d, key, &out, &err), -RMCP_E_UNTRUSTED);
	assert_int_equal(rmcp_isa_cache_store(d, key, &r, &err), -RMCP_E_UNTRUSTED);
	assert_int_equal(chmod(d, 0700), 0);
	/* a link in place of an entry is not followed */
	unlink(b);
	assert_int_equal(symlink(a, b), 0);
	assert_int_equal(rmcp_isa_cache_load(d, key2, &out, &err), -ELOOP);
	unlink(a);
	unlink(b);
	rmdir(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(safe_replaces_regular_file),
		cmocka_unit_test(safe_refuses_special_files),
		cmocka_unit_test(safe_rechecks_before_rename),
		cmocka_unit_test(safe_ignores_planted_temporary),
		cmocka_unit_test(cache_dir_trust),
		cmocka_unit_test(log_open_refuses_fifo),
		cmocka_unit_test(isa_cache_entry_must_match_key),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
