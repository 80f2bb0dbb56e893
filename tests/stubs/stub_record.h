/* SPDX-License-Identifier: MIT */
/*
 * TEST DOUBLE support: the HIP and HSA test-double runtimes in this directory record every
 * call they receive, with every flag, one line per call, to the file named by
 * RMCP_STUB_RECORD (appended with O_APPEND, so forked children and threads interleave whole
 * lines). Unset: nothing is recorded (benchmarks).
 */
#ifndef RMCP_STUB_RECORD_H
#define RMCP_STUB_RECORD_H

#include <stdarg.h>

void stub_record(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
