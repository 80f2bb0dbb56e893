// SPDX-License-Identifier: MIT
// Device code for the module-API tests (hipModuleLoad*), built as a raw code object, an
// offload bundle and a compressed bundle by build-hip.sh.
#define __global__ __attribute__((global))

extern "C" __global__ void rmcp_add_one(float *p, unsigned n)
{
	unsigned i = __builtin_amdgcn_workgroup_id_x() * 64u + __builtin_amdgcn_workitem_id_x();
	if (i < n)
		p[i] += 1.0f;
}
