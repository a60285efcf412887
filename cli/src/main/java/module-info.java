/**
 * The colreduce command line: reduce, attend, backends, demo. Backends are found at run time
 * through the API. Nothing is exported: the module is run ({@code org.colreduce.cli.Main}), not
 * linked against.
 */
module colreduce.cli {
    requires colreduce.api;
    requires colreduce.conformance;
    requires info.picocli;
    opens org.colreduce.cli to info.picocli;
}
