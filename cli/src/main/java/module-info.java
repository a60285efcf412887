/** The colreduce command line: reduce, attend, backends, demo. Backends are found at run time through the API. */
module colreduce.cli {
    requires colreduce.api;
    requires colreduce.conformance;
    requires info.picocli;
    opens org.colreduce.cli to info.picocli;
    exports org.colreduce.cli;
}
