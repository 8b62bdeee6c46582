package io.purekinesis.systemtests;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy in front of a local endpoint that can make it unreachable or stalled, for the stalled-endpoint tests:
 * <ul>
 *   <li>{@link Mode#PASS}: forwards bytes both ways;</li>
 *   <li>{@link Mode#BLACKHOLE}: a stalled but open endpoint. New connections are accepted, requests are read and
 *       dropped and nothing is ever answered; open connections stop forwarding too;</li>
 *   <li>{@link Mode#RESET}: every connection, open or new, is closed with a TCP reset (connection reset by peer).</li>
 * </ul>
 * Leaving BLACKHOLE or RESET with {@link #mode(Mode) mode(PASS)} resets every connection opened or used before, as
 * an endpoint restart does, so nothing that was swallowed is ever delivered late: a request either reached the
 * endpoint in PASS mode or never did. {@link #healWithoutReset()} instead leaves the connections that swallowed a
 * request open and silent forever.
 */
final class StalledEndpointProxy implements AutoCloseable {

    enum Mode { PASS, BLACKHOLE, RESET }

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    /** Sockets that swallowed bytes: they never forward again, even after the mode is PASS again. */
    private final Set<Socket> stalled = ConcurrentHashMap.newKeySet();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong swallowedBytes = new AtomicLong();
    private final AtomicLong resets = new AtomicLong();
    private volatile Mode mode = Mode.PASS;
    private volatile boolean closed;

    StalledEndpointProxy(URI target) throws IOException {
        this.target = new InetSocketAddress(target.getHost(), target.getPort());
        this.server = new ServerSocket(0, 200, InetAddress.getByName("127.0.0.1"));
        Thread acceptor = new Thread(this::acceptLoop, "stall-proxy-accept-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The proxy's endpoint, to give to a client instead of the target's. */
    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    Mode mode() {
        return mode;
    }

    /** Switches the mode; see the class comment for what happens to open connections. */
    synchronized void mode(Mode next) {
        Mode previous = mode;
        mode = next;
        if (next == Mode.RESET || (previous != Mode.PASS && next == Mode.PASS)) {
            resetAll();
        }
    }

    /**
     * Back to PASS without resetting anything: connections that swallowed a request stay silent and open, as after a
     * network partition that healed while the peer lost the request; new connections pass.
     */
    synchronized void healWithoutReset() {
        mode = Mode.PASS;
    }

    long acceptedConnections() {
        return accepted.get();
    }

    long swallowedBytes() {
        return swallowedBytes.get();
    }

    long resetConnections() {
        return resets.get();
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        resetAll();
    }

    private void resetAll() {
        for (Socket s : open) {
            reset(s);
        }
    }

    private void reset(Socket s) {
        open.remove(s);
        stalled.remove(s);
        try {
            if (!s.isClosed()) {
                s.setSoLinger(true, 0); // close with RST
                resets.incrementAndGet();
            }
        } catch (SocketException ignored) {
            // already gone
        }
        try {
            s.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                continue;
            }
            accepted.incrementAndGet();
            open.add(client);
            Mode now = mode;
            if (now == Mode.RESET) {
                reset(client);
            } else if (now == Mode.BLACKHOLE) {
                stalled.add(client);
                start("stall-proxy-blackhole", () -> pump(client, null));
            } else {
                Socket upstream;
                try {
                    upstream = new Socket();
                    upstream.connect(target, 5_000);
                } catch (IOException e) {
                    reset(client); // the target itself is down: the client sees a reset
                    continue;
                }
                open.add(upstream);
                start("stall-proxy-up", () -> pump(client, upstream));
                start("stall-proxy-down", () -> pump(upstream, client));
            }
        }
    }

    /**
     * Copies {@code from} to {@code to} while the mode is PASS; in any other mode (or with no {@code to}) the bytes
     * read are dropped. Ends by resetting both sockets.
     */
    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to == null ? null : to.getOutputStream();
            int n;
            while ((n = in.read(buffer)) >= 0) {
                if (out != null && mode == Mode.PASS && !stalled.contains(from)) {
                    out.write(buffer, 0, n);
                    out.flush();
                } else {
                    stalled.add(from);
                    if (to != null) {
                        stalled.add(to);
                    }
                    swallowedBytes.addAndGet(n);
                }
            }
        } catch (IOException ignored) {
            // connection reset or closed: end both sides below
        } finally {
            reset(from);
            if (to != null) {
                reset(to);
            }
        }
    }

    private static void start(String name, Runnable task) {
        Thread t = new Thread(task, name);
        t.setDaemon(true);
        t.start();
    }
}
