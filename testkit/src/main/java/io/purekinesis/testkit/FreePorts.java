package io.purekinesis.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;

/** Ports the operating system reports free right now; a small race with other processes remains. */
final class FreePorts {

    private FreePorts() {
    }

    /** {@code count} distinct ports: the sockets stay open until all are picked, so none is handed out twice. */
    static int[] pick(int count) {
        ServerSocket[] sockets = new ServerSocket[count];
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                sockets[i] = new ServerSocket(0);
                sockets[i].setReuseAddress(true);
                ports[i] = sockets[i].getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not find a free port", e);
        } finally {
            for (ServerSocket socket : sockets) {
                closeQuietly(socket);
            }
        }
    }

    static int pick() {
        return pick(1)[0];
    }

    /** Attempts at starting a server on freshly picked ports before a port taken meanwhile counts as an error. */
    static final int BIND_ATTEMPTS = 5;

    /**
     * Whether a start failed because its port was taken between {@link #pick} and the bind: another process (a
     * parallel build, a busy CI machine) can get there first; a new free port then fixes it.
     */
    static boolean isPortTaken(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = t.getMessage() == null ? "" : t.getMessage();
            if (t instanceof java.net.BindException || message.contains("Failed to bind")
                    || message.contains("Address already in use") || message.contains("EADDRINUSE")) {
                return true;
            }
        }
        return false;
    }

    private static void closeQuietly(ServerSocket socket) {
        if (socket == null) {
            return;
        }
        try {
            socket.close();
        } catch (IOException ignored) {
            // Nothing listens on it: the port is free either way.
        }
    }
}
