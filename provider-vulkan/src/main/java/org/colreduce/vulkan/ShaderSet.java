package org.colreduce.vulkan;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.colreduce.DType;

/**
 * The pipelines and tile sizes one problem runs with: the portable shaders, the KHR
 * cooperative-matrix ones ("staged", or "lean" without register prefetch) or the
 * VK_NV_cooperative_matrix2 ones. {@code rowTile} × {@code splitTile} is pass 1's tile (rows of a
 * workgroup, keys a step; key splits are multiples of it), {@code keyTile} the keys a column-pass
 * workgroup owns. {@code slack} is how far past a binding's last row the KHR tile loads may read;
 * {@code output} is the attend pass (null for a column reduction); {@code splitTarget} the workgroups pass 1's
 * key splits aim at (cm2: the define RTARGET, else VulkanSession.TARGET_WORKGROUPS); {@code directStats}:
 * where the keys are not split, pass 1 writes the merged (m, log2 l) itself and the merge pass is skipped
 * (cm2: the define RDIRECT).
 */
record ShaderSet(String path, Pipelines.Pipeline rows, Pipelines.Pipeline merge, Pipelines.Pipeline columns,
                 Pipelines.Pipeline heads, Pipelines.Pipeline output, int rowTile, int splitTile, int keyTile, long slack, long splitTarget,
                 boolean directStats) {
    static final int TILE = 32, COOP_TILE = 64;

    static ShaderSet choose(VulkanDevice device, DType dtype, int headDim, int queries, boolean cooperative, boolean lean, boolean attend) {
        Pipelines pipelines = device.pipelines;
        String portable = VulkanSession.preamble(dtype, 0);
        Pipelines.Pipeline heads = pipelines.get("head_reduce", "#define NO_COMMON\n", 3, false);
        Pipelines.Pipeline output = attend ? pipelines.get("attention_output", portable, 6, false) : null;
        String coop = VulkanSession.preamble(dtype, headDim);
        if (cooperative && device.cooperativeMatrix2) {
            Cm2 t = Cm2.current(headDim, queries);
            String cm2 = coop + t.preamble();
            Pipelines.Pipeline merge = pipelines.get("row_statistics_merge", portable + (t.planar() ? "#define PLANAR_STATS\n" : ""), 5, false);
            return new ShaderSet("cm2", pipelines.get("row_statistics_cm2", cm2, 4, true), merge,
                    pipelines.get("column_pass_cm2", cm2, 5, true), heads, output, t.rowTile(), t.splitTile(), t.keyTile(), t.slack(), t.value("RTARGET", (int) VulkanSession.TARGET_WORKGROUPS),
                    t.defines().containsKey("RDIRECT"));
        }
        Pipelines.Pipeline merge = pipelines.get("row_statistics_merge", portable, 5, false);
        if (!cooperative)
            return new ShaderSet("portable", pipelines.get("row_statistics", portable, 4, false), merge,
                    pipelines.get("column_pass", portable, 5, false), heads, output, TILE, TILE, TILE, 0, VulkanSession.TARGET_WORKGROUPS, false);
        if (lean) coop += "#define LEAN\n";
        return new ShaderSet(lean ? "lean" : "staged", pipelines.get("row_statistics_coopmat", coop, 4, true), merge,
                pipelines.get("column_pass_coopmat", coop, 5, true), heads, output, COOP_TILE, COOP_TILE, COOP_TILE, VulkanSession.SLACK_BYTES, VulkanSession.TARGET_WORKGROUPS, false);
    }

    /**
     * Tile shapes and code choices of the cm2 shaders, as defines (see the comments at the top of
     * row_statistics_cm2.comp and column_pass_cm2.comp): the measured defaults, or for benchmarks
     * the list in {@code -Dcolreduce.vulkan.cm2} (e.g. "RBQ=64,RFULL,CBK=128"), which replaces them.
     */
    record Cm2(Map<String, String> defines) {
        /**
         * The measured choice (H200, docs/PERFORMANCE.md, branches vk4, vk6, vk7 and vk8): WG6, i.e. WG5
         * with, where M ≥ 256 and 64 ≤ D ≤ 128, the column pass's key tiles loaded as plain matrix
         * loads (CKLD), WG5 being WG3
         * (WG1 with, where 64 ≤ D ≤ 128 and M ≥ 256, 128-row tiles of 256 invocations, both streamed
         * tiles staged in shared memory and their loops software-pipelined, the column pass's
         * statistics staged with its tiles, a plain row max and a rescale without exp2 while the max
         * stands; for M < 256 (decode) pass 1 staged and pipelined at D = 128) with pass 1's key
         * splits aimed at 128 workgroups (fewer, longer ones) and, for decode, column workgroups of
         * 8 key tiles. (vk6 had left WG3 a named profile after its device test JVM died in
         * libEGL_nvidia: that was the shell's timeout killing a JVM that needed a few seconds more.)
         */
        static String defaults(int headDim, int queries) {
            return profile("WG6", headDim, queries);
        }

        /**
         * Named choices, per problem class (benchmark items, and what {@link #defaults} picks from):
         * DEFAULT0 the choice of branch vk2; WG1 adds, where D ≥ 128 and M ≥ 256, the K and Q tiles
         * staged in shared memory by the shader (RSM, CSM) and 128-key column items; SG1 runs pass 1
         * on subgroup-scope fragments with hand-made row reductions (RSG, SGM) and the column pass
         * as WG1; SG2 both passes on subgroup-scope fragments (RSG, CSG, SGM). Null for other names.
         * WG1U, SG1U, SG2U: the same with SGU (every loop of fixed trip count unrolled); SG1W is SG1U
         * with pass 1 on 192-row tiles of 384 invocations (12 subgroups) where D ≥ 128 and M ≥ 256.
         * WG2 (vk6): WG1 plus, where D = 128 and M ≥ 256, RPIPE, CPIPE and CSST; where
         * M ≥ 256 (D ≤ 128), FMAX and RLZ; where M < 256, CLK and CKP=4 (the column pass of decode).
         * WG3 (vk6): WG2 with D = 128's tiles and staging for 64 ≤ D ≤ 128 where M ≥ 256, and for
         * M < 256 at D = 128 pass 1 staged and pipelined (RSM, RPIPE on 64-row tiles). WG4 (vk7): WG3
         * with RTARGET=256. WG5 (vk7): WG3 with RTARGET=128 and, where M < 256, CKP=8. WG6 (vk8, the
         * default): WG5 with CKLD (the column pass's key tiles as plain matrix loads) where M ≥ 256
         * and 64 ≤ D ≤ 128, the class it was measured in.
         * Where D > 128 every name is DEFAULT0 (the staging holds tiles of D ≤ 128).
         */
        static String profile(String name, int headDim, int queries) {
            boolean big = headDim >= 128 && queries >= 256;
            String base = "RFULL,RWIDE,CFULL,CBCAST,LU," + (big ? "RBQ=128,RWG=256" : "RBQ=64");
            String wideColumns = big ? ",CSM,CBK=128,CWG=256" : "";
            return switch (name) {
                case "DEFAULT0" -> base;
                case "WG1" -> headDim > 128 ? base : base + (big ? ",RSM" : "") + wideColumns;
                case "SG1" -> headDim > 128 ? base : base + ",RSM,RSG,SGM" + wideColumns;
                case "SG2" -> headDim > 128 ? base : base + ",RSM,RSG,SGM,CSM,CSG";
                case "WG1U" -> headDim > 128 ? base : base + (big ? ",RSM" : "") + wideColumns + ",SGU";
                case "SG1U" -> headDim > 128 ? base : base + ",RSM,RSG,SGM" + wideColumns + ",SGU";
                case "SG2U" -> headDim > 128 ? base : base + ",RSM,RSG,SGM,CSM,CSG,SGU";
                case "SG1W" -> headDim > 128 ? base : base + ",RSM,RSG,SGM" + wideColumns + ",SGU" + (big ? ",RBQ=192,RWG=384" : "");
                case "WG2" -> headDim > 128 ? base : base + (big ? ",RSM" : "") + wideColumns + (big ? ",RPIPE,CPIPE,CSST" : "")
                        + (queries >= 256 ? ",FMAX,RLZ" : ",CLK,CKP=4");
                case "WG3" -> headDim > 128 ? base
                        : queries >= 256 && headDim >= 64 ? "RFULL,RWIDE,CFULL,CBCAST,LU,RBQ=128,RWG=256,RSM,CSM,CBK=128,CWG=256,RPIPE,CPIPE,CSST,FMAX,RLZ"
                        : queries >= 256 ? base + ",FMAX,RLZ"
                        : base + (headDim == 128 ? ",RSM,RPIPE" : "") + ",CLK,CKP=4";
                case "WG4" -> headDim > 128 ? base : profile("WG3", headDim, queries) + ",RTARGET=256";
                case "WG5" -> headDim > 128 ? base : profile("WG3", headDim, queries) + ",RTARGET=128" + (queries >= 256 ? "" : ",CKP=8");
                case "WG6" -> headDim > 128 ? base : profile("WG5", headDim, queries) + (queries >= 256 && headDim >= 64 ? ",CKLD" : "");
                default -> null;
            };
        }

        static Cm2 current(int headDim, int queries) {
            String v = System.getProperty("colreduce.vulkan.cm2");
            return parse(v == null ? "DEFAULT" : v, headDim, queries);
        }

        static Cm2 parse(String list) { return parse(list, 128, 4096); }

        /** A list of defines; the item DEFAULT stands for {@link #defaults}, a {@link #profile} name for that choice, and a later item replaces an earlier one. */
        static Cm2 parse(String list, int headDim, int queries) {
            Map<String, String> d = new LinkedHashMap<>();
            for (String raw : list.split(",")) {
                String item = raw.trim();
                if (item.isEmpty()) continue;
                String named = item.equalsIgnoreCase("DEFAULT") ? defaults(headDim, queries) : profile(item.toUpperCase(Locale.ROOT), headDim, queries);
                for (String t : named != null ? named.split(",") : new String[]{item}) {
                    int eq = t.indexOf('=');
                    String name = (eq < 0 ? t : t.substring(0, eq)).trim().toUpperCase(Locale.ROOT);
                    if (!name.matches("[A-Z][A-Z0-9_]*")) throw new IllegalArgumentException("colreduce.vulkan.cm2: bad define '" + t + "'");
                    String value = eq < 0 ? "" : t.substring(eq + 1).trim();
                    if (!value.matches("[0-9]*")) throw new IllegalArgumentException("colreduce.vulkan.cm2: bad value in '" + t + "'");
                    d.put(name, value);
                }
            }
            // the shared-memory staging (RSM, CSM) and the subgroup shaders built on it hold two tiles of
            // 64 rows of D halves, and read up to 127 rows into the binding's slack: D ≤ 128 only
            if (headDim > 128) for (String k : new String[]{"RSM", "RSG", "CSM", "CSG"}) d.remove(k);
            if (d.containsKey("CSG")) d.remove("CKP");   // the subgroup column pass owns one key tile
            // RPER (row tiles a pass-1 workgroup walks) is a form of the staged, pipelined wide loop only
            if (!(d.containsKey("RSM") && d.containsKey("RWIDE") && d.containsKey("RPIPE")) || d.containsKey("RSG")) d.remove("RPER");
            return new Cm2(d);
        }

        int value(String name, int fallback) {
            String v = defines.get(name);
            return v == null || v.isEmpty() ? fallback : Integer.parseInt(v);
        }

        /** Rows of a pass-1 workgroup: RPER row tiles of RBQ. */
        int rowTile() { return value("RBQ", 32) * value("RPER", 1); }
        int splitTile() { return value("RBK", 64); }
        /** Keys a column-pass workgroup owns: CKP tiles of CBK. */
        int keyTile() { return value("CBK", 64) * value("CKP", 1); }
        boolean planar() { return defines.containsKey("CBCAST"); }

        /** The subgroup-scope shaders (RSG, CSG) load whole 16-row fragments of Q or K: the bindings reach into the slack. */
        long slack() { return defines.containsKey("RSG") || defines.containsKey("CSG") ? VulkanSession.SLACK_BYTES : 0; }

        String preamble() {
            StringBuilder sb = new StringBuilder();
            defines.forEach((k, v) -> sb.append("#define ").append(k).append(v.isEmpty() ? "" : " " + v).append('\n'));
            return sb.toString();
        }
    }
}
