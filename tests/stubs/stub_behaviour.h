/* SPDX-License-Identifier: MIT */
/*
 * TEST DOUBLE behaviours for the `rmcp probe` / `rmcp run` tests (issue 6): what a real
 * runtime does on a GPU that cannot run the code, made to happen on request. Read once from
 * RMCP_STUB_BEHAVIOUR, a comma-separated list of ACTION:FUNCTION:
 *
 *   hang:F       F never returns, as a runtime waiting forever on a GPU queue; it first
 *                forks a helper that never exits either (its pid written to
 *                RMCP_STUB_PIDFILE if set), so a test can check the whole process group dies
 *   fault:F      F prints ROCr's text for a GPU page fault to stderr and aborts, as ROCr's
 *                queue error handler does:
 *                "Memory access fault by GPU node-1 (Agent handle: 0x...) on address 0x....
 *                Reason: Page not present or supervisor privilege."
 *   aperture:F   F prints clr's HSA_STATUS_ERROR_MEMORY_APERTURE_VIOLATION line and aborts
 *   error=N:F    F returns the error code N (209 hipErrorNoBinaryForGpu, 2 hipErrorOutOfMemory)
 *   wrong:F      F computes a wrong result (the MIOpen double's miopenConvolutionForward)
 *
 * Unset or empty: every function behaves normally. Not part of any real ABI.
 */
#ifndef RMCP_STUB_BEHAVIOUR_H
#define RMCP_STUB_BEHAVIOUR_H

#include <stdbool.h>

/* 0, or the error code F must return; does not return for hang, fault and aperture. */
int stub_behave(const char *func);
/* F must compute a wrong result. */
bool stub_wrong(const char *func);

#endif
