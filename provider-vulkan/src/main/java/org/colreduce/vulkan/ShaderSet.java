package org.colreduce.vulkan;

import org.colreduce.DType;

/**
 * The pipelines and tile sizes one problem runs with: the portable shaders, the KHR
 * cooperative-matrix ones ("staged", or "lean" without register prefetch) or the
 * VK_NV_cooperative_matrix2 ones. {@code slack} is how far past a binding's last row the KHR tile
 * loads may read; {@code output} is the attend pass (null for a column reduction).
 */
record ShaderSet(String path, Pipelines.Pipeline rows, Pipelines.Pipeline merge, Pipelines.Pipeline columns,
                 Pipelines.Pipeline heads, Pipelines.Pipeline output, int rowTile, int keyTile, long slack) {
    static final int TILE = 32, COOP_TILE = 64, CM2_ROW_TILE = 32;

    static ShaderSet choose(VulkanDevice device, DType dtype, int headDim, boolean cooperative, boolean lean, boolean attend) {
        Pipelines pipelines = device.pipelines;
        String portable = VulkanSession.preamble(dtype, 0);
        Pipelines.Pipeline merge = pipelines.get("row_statistics_merge", portable, 5, false);
        Pipelines.Pipeline heads = pipelines.get("head_reduce", "#define NO_COMMON\n", 3, false);
        Pipelines.Pipeline output = attend ? pipelines.get("attention_output", portable, 6, false) : null;
        if (!cooperative)
            return new ShaderSet("portable", pipelines.get("row_statistics", portable, 4, false), merge,
                    pipelines.get("column_pass", portable, 5, false), heads, output, TILE, TILE, 0);
        String coop = VulkanSession.preamble(dtype, headDim);
        if (device.cooperativeMatrix2)
            return new ShaderSet("cm2", pipelines.get("row_statistics_cm2", coop, 4, true), merge,
                    pipelines.get("column_pass_cm2", coop, 5, true), heads, output, CM2_ROW_TILE, COOP_TILE, 0);
        if (lean) coop += "#define LEAN\n";
        return new ShaderSet(lean ? "lean" : "staged", pipelines.get("row_statistics_coopmat", coop, 4, true), merge,
                pipelines.get("column_pass_coopmat", coop, 5, true), heads, output, COOP_TILE, COOP_TILE, VulkanSession.SLACK_BYTES);
    }
}
