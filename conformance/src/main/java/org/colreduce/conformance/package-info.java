/**
 * The conformance suite of docs/SPEC.md, in the manner of the Reactive Streams TCK: a backend's
 * test class extends {@link org.colreduce.conformance.ColReduceConformance} and names its
 * backend; every test is named after the rule it checks ({@code spec3_2_causalBottomRight}).
 *
 * <ul>
 *   <li>{@link org.colreduce.conformance.Reference}: the float64 reference, plain loops over the
 *       rounded stored inputs.</li>
 *   <li>{@link org.colreduce.conformance.Inputs}: seeded random and adversarial inputs (peaky,
 *       equal and huge logits, every element type, strided and native views, lengths, masks);
 *       the run's seed is fresh, printed on failure, and fixed with {@code -Dcolreduce.seed=…}.</li>
 *   <li>{@link org.colreduce.conformance.Compare}: the §7.1 tolerance check and its message.</li>
 *   <li>{@link org.colreduce.conformance.CrossBackendConformance}: every available backend
 *       against every other on the same inputs.</li>
 * </ul>
 */
package org.colreduce.conformance;
