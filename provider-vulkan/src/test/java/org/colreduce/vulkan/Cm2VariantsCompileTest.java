package org.colreduce.vulkan;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.colreduce.DType;
import org.junit.jupiter.api.Test;

/**
 * The cm2 shaders compile with shaderc in every tile shape and code choice that
 * {@code VulkanBenchmark --variants} may ask for (no device needed; lavapipe has no cm2).
 */
class Cm2VariantsCompileTest {
    static final String[] VARIANTS = {
        "", "RFULL,CFULL", "RFULL,RWIDE", "RFULL,CFULL,CBCAST", "RABL=1", "RABL=2", "CABL=1", "CABL=2",
        "RFULL,RBQ=64", "RFULL,RBQ=64,RWG=256", "RFULL,RBQ=128,RWG=256", "RFULL,RBQ=64,RBK=128",
        "CFULL,CBK=128", "CFULL,CBK=128,CWG=256", "CFULL,CBQ=128", "CFULL,CBK=128,CBQ=128,CWG=256",
        "RABL=1,RBQ=64,RWG=256", "CABL=1,CBK=128,CWG=256", "RFULL,RWIDE,RBQ=64", "CFULL,CBCAST,CBK=128,CWG=256",
        "RFULL,RPF", "CFULL,CPF", "LU", "LU,RFULL,RWIDE,RBQ=128,RWG=256,CFULL,CBCAST", "RABL=1,LU", "CABL=1,LU", "RFULL,RWIDE,RONES", "RFULL,RWIDE,RONES,RBQ=64,RWG=256,RPF",
        "RSM", "CSM", "RABL=1,RSM", "CABL=1,CSM", "RABL=2,RSM", "CABL=2,CSM", "DEFAULT,RSM,CSM", "DEFAULT,RSM,RBQ=64,RWG=128",
        "RFULL,RWIDE,RSM,RBQ=256,RWG=512", "RFULL,RSM,RBQ=256,RWG=512",
        "DEFAULT,CSM,CBK=128,CWG=256", "DEFAULT,CSM,CBK=128,CWG=128",
        "RFULL,RWIDE,LU,RBQ=256,RWG=512",
        "DEFAULT,RSM,RSG", "DEFAULT,RSM,RSG,RBQ=128,RWG=128,SGR=32", "DEFAULT,RSM,RSG,RBQ=64,RWG=128", "DEFAULT,RSM,RSG,RABL=1",
        "DEFAULT,CSM,CSG", "DEFAULT,CSM,CSG,CBK=128,CWG=256", "DEFAULT,CSM,CSG,CBK=128,CWG=128,SGK=32", "DEFAULT,CSM,CSG,CABL=1", "DEFAULT,RSM,RSG,CSM,CSG",
        "DEFAULT,RSM,RSG,SGM", "DEFAULT,RSM,RSG,SGM,RBQ=128,RWG=128,SGR=32", "DEFAULT,RSM,RSG,SGM,RBQ=64,RWG=128", "DEFAULT,CSM,CSG,SGM", "DEFAULT,RSM,RSG,CSM,CSG,SGM", "DEFAULT,CSM,CSG,SGM,CBK=128,CWG=256",
        "DEFAULT,RSM,RSG,SGM,SGU", "DEFAULT,RSM,RSG,SGU", "DEFAULT,CSM,CSG,SGM,SGU", "DEFAULT,CSM,CSG,SGU", "DEFAULT,RSM,CSM,SGU", "DEFAULT,RSM,RSG,SGM,SGU,RABL=1", "SG1U,RBQ=128,RWG=128,SGR=32", "SG2U,RBQ=128,RWG=128,SGR=32", "SG1U,RBQ=192,RWG=384", "SG1U,RBQ=192,RWG=384,RBK=32", "SG1U,RBK=32", "SG1W,SGF", "SG1U,SGF", "DEFAULT,RSM,RSG,SGM,SGF",
        "WG1,RPIPE", "WG1,RPIPE,CPIPE", "WG1,FMAX", "WG1,RLZ", "WG1,RPIPE,FMAX,RLZ,CPIPE", "WG1,CLK", "SG1U,SGF,FMAX",
        "SG1U,SGF,FMAX,CPIPE", "SG1U,SGF,FMAX,RBQ=64,RWG=128", "SG1U,SGF,FMAX,RBK=32", "WG1,RPIPE,RBQ=64,RWG=128", "SG1W,SGF,FMAX",
        "WG3,CBK=64,CWG=128", "WG3,RBQ=64,RWG=128", "WG3,RBQ=64,RWG=128,CBK=64,CWG=128", "WG3,RTARGET=256",
    };
    /** The named choices, and the pipelined ones on them, compiled for each problem class (D, M) they distinguish. */
    static final String[] PROFILES = {"DEFAULT", "DEFAULT0", "WG1", "WG2", "WG3", "SG1", "SG2", "WG1U", "SG1U", "SG2U", "SG1W",
        "WG1,RPIPE,CPIPE,FMAX,RLZ,CLK", "SG1U,SGF,FMAX,CPIPE", "WG1,RPIPE,CPIPE,FMAX,RLZ,CSST",
        "WG1,FMAX,RLZ,RSM,RPIPE,CSM,CPIPE,CSST,CBK=128,CWG=256", "WG1,CLK,CKP=4", "WG1,RPIPE,CPIPE,CSST,CKP=2",
        "WG4", "WG5", "WG4,CKP=16", "WG4,CKP=2", "WG4,CWG=256,RWG=256", "WG4,CBK=128",
        "WG6", "WG5,CKLD", "WG6,CKP=2", "WG5,CKLD,CKP=4",
        "WG5,RDIRECT", "WG5,RPER=2", "WG5,RPER=4,RDIRECT", "WG5,RPER=8,RDIRECT"};

    @Test
    void everyVariantCompiles() {
        for (int d : new int[]{64, 128}) {
            for (String v : VARIANTS) {
                String pre = VulkanSession.preamble(DType.F16, d) + ShaderSet.Cm2.parse(v).preamble();
                for (String name : new String[]{"row_statistics_cm2", "column_pass_cm2"})
                    assertTrue(Pipelines.compile(name, pre, true).length > 0, name + " " + v + " D=" + d);
            }
        }
        for (String v : PROFILES)
            for (int d : new int[]{64, 128, 256})
                for (int m : new int[]{64, 4096}) {
                    String pre = VulkanSession.preamble(DType.F16, d) + ShaderSet.Cm2.parse(v, d, m).preamble();
                    for (String name : new String[]{"row_statistics_cm2", "column_pass_cm2"})
                        assertTrue(Pipelines.compile(name, pre, true).length > 0, name + " " + v + " D=" + d + " M=" + m);
                }
        assertTrue(Pipelines.compile("row_statistics_merge", VulkanSession.preamble(DType.F16, 0) + "#define PLANAR_STATS\n", false).length > 0);
    }
}
