/** The colreduce user API ({@code org.colreduce}) and the backend SPI ({@code org.colreduce.spi}). */
module colreduce.api {
    exports org.colreduce;
    exports org.colreduce.spi;
    uses org.colreduce.spi.ColReduceBackend;
}
