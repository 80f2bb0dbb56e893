/* SPDX-License-Identifier: MIT */
/*
 * The facts `rmcp doctor --json` reads on the sysroot fixtures added for issue 9 (and the
 * machine facts added with them on the older ones): processor, name, APU, PCIe atomics, KFD
 * and libhsakmt node ids, Secure Boot and the installed amdgpu module. Only facts are
 * asserted here, never findings or steps (those belong to the rules, tested in test_doctor.c
 * and the kb tests), so a rule change cannot break this file and a fact change cannot hide.
 * Expected values come from the fixtures' files (gfx_target_version, device_id, revision,
 * mem_banks size, dmesg lines; tests/fixtures/sysroots/README.md), the processor table's
 * source (AMDGPUUsage dGPU/APU) and the kernel's pciidlist, not from rmcp's output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "run.h"

static json_object *doctor(const char *fixture, const char *python)
{
	char root[4096];
	snprintf(root, sizeof(root), "%s/sysroots/%s", need_env("RMCP_FIXTURES"), fixture);
	struct stat st;
	if (stat(root, &st) != 0)
		fail_msg("fixture %s missing (tests/fixtures/mksysroots.sh)", root);
	const char *argv[] = { "/usr/bin/env", "-i", "PATH=/usr/bin:/bin", "HOME=/nonexistent", "NO_COLOR=1",
			       need_env("RMCP_BIN"), "doctor", "--json", "--no-cache", "--sysroot", root,
			       python ? "--python" : NULL, python, NULL };
	struct run_result r;
	assert_int_equal(run_capture((char *const *)argv, "/dev/null", &r), 0);
	json_object *j = json_tokener_parse(r.out);
	if (!j)
		fail_msg("%s: not JSON:\n%s", fixture, r.out);
	free(r.out);
	return j;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("missing key '%s'", key);
	return v;
}

static const char *fact(json_object *facts, const char *key)
{
	return json_object_get_string(get(facts, key));
}

static json_object *gpu_facts(json_object *j, size_t i)
{
	json_object *gpus = get(j, "gpus");
	assert_true(i < json_object_array_length(gpus));
	return get(json_object_array_get_idx(gpus, i), "facts");
}

struct want {
	const char *gfx, *family, *name, *pci_id, *apu, *atomics, *kfd, *node, *hip_index, *cu, *vram;
};

static void check_gpu(json_object *j, size_t i, const struct want *w)
{
	json_object *f = gpu_facts(j, i);
	assert_string_equal(fact(f, "gpu.gfx"), w->gfx);
	assert_string_equal(fact(f, "gpu.gfx_known"), "yes");
	assert_string_equal(fact(f, "gpu.family"), w->family);
	assert_string_equal(fact(f, "gpu.name"), w->name);
	assert_string_equal(fact(f, "gpu.pci_id"), w->pci_id);
	assert_string_equal(fact(f, "gpu.apu"), w->apu);
	assert_string_equal(fact(f, "gpu.atomics"), w->atomics);
	assert_string_equal(fact(f, "gpu.kfd"), w->kfd);
	assert_string_equal(fact(f, "gpu.node"), w->node);
	assert_string_equal(fact(f, "gpu.hip_index"), w->hip_index);
	if (w->cu)
		assert_string_equal(fact(f, "gpu.cu"), w->cu);
	if (w->vram)
		assert_string_equal(fact(f, "gpu.vram_bytes"), w->vram);
}

static size_t n_gpus(json_object *j)
{
	return json_object_array_length(get(j, "gpus"));
}

/* Polaris RX 580 behind a root port without AtomicOps: KFD skips it (no node), the log says
 * why ("skipped device 1002:67df, PCI rejects atomics 730<0": no firmware way out on gfx8). */
static void rx580_noatomics(void **state)
{
	(void)state;
	json_object *j = doctor("rx580-noatomics", NULL);
	assert_int_equal(n_gpus(j), 1);
	check_gpu(j, 0, &(struct want){ "gfx803", "GCN4", "AMD Radeon RX 580 Series", "1002:67df", "no", "missing",
					"absent", "-1", "-1", NULL, NULL });
	json_object *f = gpu_facts(j, 0);
	assert_string_equal(fact(f, "gpu.gfx_source"), "pci-table");
	assert_string_equal(fact(f, "gpu.log_skipped"), "yes");
	assert_string_equal(fact(f, "gpu.atomics_fw_required"), "0");	/* "730<0" */
	assert_string_equal(fact(get(j, "facts"), "log.skipped_device"), "1");
	json_object_put(j);
}

/* Pitcairn (GFX6): radeon drives it, KFD never supported SI; the id table still names it. */
static void pitcairn(void **state)
{
	(void)state;
	json_object *j = doctor("pitcairn", NULL);
	assert_int_equal(n_gpus(j), 1);
	/* Debian 12's amdgpu.ids: "6811, 81, AMD Radeon R7 370 Series". */
	check_gpu(j, 0, &(struct want){ "gfx601", "GCN1", "AMD Radeon R7 370 Series", "1002:6811", "no", "unknown",
					"absent", "-1", "-1", NULL, NULL });
	assert_string_equal(fact(gpu_facts(j, 0), "gpu.gfx_source"), "pci-table");
	assert_string_equal(fact(get(j, "facts"), "param.si_support"), "0");
	json_object_put(j);
}

/* Strix Halo: an APU whose KFD node has cpu_cores_count 0; its memory bank is the carve-out. */
static void strix_halo(void **state)
{
	(void)state;
	json_object *j = doctor("strix-halo", NULL);
	assert_int_equal(n_gpus(j), 1);
	/* libdrm amdgpu.ids "1586, C2, AMD Radeon 8050S Graphics"; 64 SIMDs / 2 = 32 CUs. */
	check_gpu(j, 0, &(struct want){ "gfx1151", "RDNA3.5", "AMD Radeon 8050S Graphics", "1002:1586", "yes", "ok",
					"ok", "1", "0", "32", "536870912" });
	json_object_put(j);
}

/* MI100 (dGPU, node 1) next to a 2-CU Raphael iGPU (node 2): two ISA groups on one machine. */
static void mi100_raphael(void **state)
{
	(void)state;
	json_object *j = doctor("mi100-raphael", "/home/user/venv/bin/python3");
	assert_int_equal(n_gpus(j), 2);
	check_gpu(j, 0, &(struct want){ "gfx908", "CDNA1", "AMD Instinct MI100", "1002:738c", "no", "ok", "ok", "1",
					"0", "120", "34359738368" });
	/* Debian's amdgpu.ids lacks 164E rev C1: the device-level name from pci.ids ("Raphael"). */
	check_gpu(j, 1, &(struct want){ "gfx1036", "RDNA2", "AMD Raphael", "1002:164e", "yes", "ok", "ok", "2", "1",
					"2", "536870912" });
	/* capability bit 26 (SRAM_EDCSUPPORTED) on the MI100. */
	assert_string_equal(fact(gpu_facts(j, 0), "gpu.target_id"), "gfx908:sramecc+");
	assert_string_equal(fact(get(j, "facts"), "machine.gfx_distinct"), "2");
	assert_string_equal(fact(get(j, "facts"), "torch.installs"), "1");
	json_object_put(j);
}

static void rx6700xt_notorch(void **state)
{
	(void)state;
	json_object *j = doctor("rx6700xt-notorch", NULL);
	assert_int_equal(n_gpus(j), 1);
	check_gpu(j, 0, &(struct want){ "gfx1031", "RDNA2", "AMD Radeon RX 6700 XT", "1002:73df", "no", "ok", "ok",
					"1", "0", "40", "12868124672" });
	assert_string_equal(fact(get(j, "facts"), "torch.installs"), "0");
	assert_string_equal(fact(gpu_facts(j, 0), "gpu.torch"), "absent");
	json_object_put(j);
}

static void rx5700xt_notorch(void **state)
{
	(void)state;
	json_object *j = doctor("rx5700xt-notorch", NULL);
	assert_int_equal(n_gpus(j), 1);
	/* 731F rev C1 (Debian 12 amdgpu.ids), 80 SIMDs / 2 = 40 CUs, 8 GiB. */
	check_gpu(j, 0, &(struct want){ "gfx1010", "RDNA1", "AMD Radeon RX 5700 XT", "1002:731f", "no", "ok", "ok",
					"1", "0", "40", "8589934592" });
	assert_string_equal(fact(get(j, "facts"), "torch.installs"), "0");
	assert_string_equal(fact(get(j, "facts"), "rocm.installs"), "0");
	json_object_put(j);
}

/* rmcp doctor with extra arguments; stderr into err (cap bytes), the exit status returned. */
static int doctor_args(const char *fixture, const char *const *extra, char *err, size_t cap, json_object **out)
{
	char root[4096];
	snprintf(root, sizeof(root), "%s/sysroots/%s", need_env("RMCP_FIXTURES"), fixture);
	const char *argv[24] = { "/usr/bin/env", "-i", "PATH=/usr/bin:/bin", "HOME=/nonexistent", "NO_COLOR=1",
				 need_env("RMCP_BIN"), "doctor", "--json", "--no-cache", "--sysroot", root };
	size_t n = 11;
	for (size_t i = 0; extra[i] && n < 23; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	char errfile[] = "/tmp/rmcp-facts-err-XXXXXX";
	int fd = mkstemp(errfile);
	assert_true(fd >= 0);
	close(fd);
	struct run_result r;
	assert_int_equal(run_capture((char *const *)argv, errfile, &r), 0);
	FILE *f = fopen(errfile, "r");
	assert_non_null(f);
	size_t got = fread(err, 1, cap - 1, f);
	err[got] = '\0';
	fclose(f);
	unlink(errfile);
	*out = r.status == 2 ? NULL : json_tokener_parse(r.out);
	free(r.out);
	return r.status;
}

/* --torch and --python are paths on the examined machine: found inside the sysroot, a host
 * path is an error that says where it was looked for (issue 9 item 4, issue 11 item 2). */
static void torch_python_under_sysroot(void **state)
{
	(void)state;
	char err[2048];
	json_object *j = NULL;
	/* The venv's torch, named as the captured machine has it. */
	const char *in_root[] = { "--torch", "/home/user/venv/lib/python3.11/site-packages", NULL };
	assert_int_not_equal(doctor_args("rx6700xt", in_root, err, sizeof(err), &j), 2);
	assert_non_null(j);
	assert_string_equal(fact(get(j, "facts"), "torch.installs"), "1");
	assert_string_equal(fact(get(j, "facts"), "torch.path"), "/home/user/venv/lib/python3.11/site-packages/torch");
	json_object_put(j);
	const char *py[] = { "--python", "/home/user/venv/bin/python3", NULL };
	assert_int_not_equal(doctor_args("rx6700xt", py, err, sizeof(err), &j), 2);
	assert_string_equal(fact(get(j, "facts"), "torch.installs"), "1");
	json_object_put(j);
	/* A directory that exists on this machine but not in the snapshot. */
	const char *host[] = { "--torch", "/usr/lib", NULL };
	assert_int_equal(doctor_args("rx6700xt", host, err, sizeof(err), &j), 2);
	assert_null(j);
	assert_non_null(strstr(err, "--torch /usr/lib: not found under --sysroot"));
	assert_non_null(strstr(err, "/sysroots/rx6700xt/usr/lib"));	/* where it looked */
	assert_non_null(strstr(err, "it exists on this machine"));
	const char *nopy[] = { "--python", "/home/user/venv/bin/python9", NULL };
	assert_int_equal(doctor_args("rx6700xt", nopy, err, sizeof(err), &j), 2);
	assert_non_null(strstr(err, "--python /home/user/venv/bin/python9: not found under --sysroot"));
	/* Not a directory. */
	const char *file[] = { "--torch", "/etc/passwd", NULL };
	assert_int_equal(doctor_args("rx6700xt", file, err, sizeof(err), &j), 2);
	assert_non_null(strstr(err, "--torch /etc/passwd: Not a directory under --sysroot"));
}

/* The machine facts rules may test on every fixture, with the values the files state. */
static void machine_facts(void **state)
{
	(void)state;
	static const char *const fixtures[] = { "rx580-noatomics", "pitcairn", "strix-halo", "mi100-raphael",
						"rx6700xt-notorch", "rx5700xt-notorch", "rx5600xt", "apu-rembrandt" };
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		json_object *j = doctor(fixtures[i], NULL);
		json_object *f = get(j, "facts");
		/* No fixture captures efivarfs or lib/modules (README.md: not in the layout). */
		assert_string_equal(fact(f, "machine.secure_boot"), "unknown");
		assert_string_equal(fact(f, "machine.amdgpu_module_installed"), "no");
		assert_string_equal(fact(f, "machine.amdgpu"), "yes");
		json_object_put(j);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rx580_noatomics),
		cmocka_unit_test(pitcairn),
		cmocka_unit_test(strix_halo),
		cmocka_unit_test(mi100_raphael),
		cmocka_unit_test(rx6700xt_notorch),
		cmocka_unit_test(rx5700xt_notorch),
		cmocka_unit_test(machine_facts),
		cmocka_unit_test(torch_python_under_sysroot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
