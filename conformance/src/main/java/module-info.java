/**
 * The conformance suite: a float64 reference of docs/SPEC.md, input generators, the §7.1
 * tolerance check, and the abstract JUnit 5 classes every backend's tests extend.
 */
module colreduce.conformance {
    requires transitive colreduce.api;
    requires transitive org.junit.jupiter.api;
    requires transitive org.junit.jupiter.params;
    exports org.colreduce.conformance;
    opens org.colreduce.conformance to org.junit.platform.commons;
}
