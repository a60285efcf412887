package org.colreduce.cuda;

import org.colreduce.conformance.CrossBackendConformance;

/** CUDA against every other backend on the class path (the CPU backend here) on the same inputs. */
class CudaCrossBackendTest extends CrossBackendConformance {}
