/** Producer and consumer together on the local endpoints, with faults injected where the emulators have none. */
package io.purekinesis.systemtests;
