package dev.cumulus.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;

/**
 * The clients' HTTP connections outlive their requests, however many run at once: a second round
 * of concurrent requests to a server goes over the connections the first one opened.
 */
class KeptConnectionsTest {
    private static final int AT_ONCE = 24;

    @Test
    void concurrentRequestsReuseTheConnectionsOfTheRoundBefore() throws Exception {
        AtomicInteger accepted = new AtomicInteger();
        List<Socket> open = new CopyOnWriteArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
             ServerSocket server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress())) {
            CountDownLatch[] round = {new CountDownLatch(AT_ONCE)};
            threads.submit(() -> {
                while (!server.isClosed()) {
                    Socket s = server.accept();
                    accepted.incrementAndGet();
                    open.add(s);
                    threads.submit(() -> serve(s, round));
                }
                return null;
            });
            try {
                twoRounds(threads, URI.create("http://127.0.0.1:" + server.getLocalPort()), round);
            } finally {
                server.close();
                for (Socket s : open) {
                    s.close(); // the client keeps them idle for seconds
                }
            }
        }
        assertEquals(AT_ONCE, accepted.get(), "connections opened for two rounds of " + AT_ONCE + " requests at once");
    }

    /** Two rounds of requests, each of {@value #AT_ONCE} at once. */
    private static void twoRounds(ExecutorService threads, URI base, CountDownLatch[] round) throws Exception {
        SdkHttpClient http = AwsClients.http();
        for (int r = 0; r < 2; r++) {
            round[0] = new CountDownLatch(AT_ONCE);
            List<Future<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < AT_ONCE; i++) {
                answers.add(threads.submit(() -> {
                    SdkHttpFullRequest get = SdkHttpFullRequest.builder().method(SdkHttpMethod.GET)
                            .uri(base.resolve("/object")).build();
                    var response = http.prepareRequest(HttpExecuteRequest.builder().request(get).build()).call();
                    try (InputStream body = response.responseBody().orElseThrow()) {
                        body.readAllBytes();
                    }
                    return response.httpResponse().statusCode();
                }));
            }
            for (Future<Integer> a : answers) {
                assertEquals(200, a.get(30, TimeUnit.SECONDS));
            }
        }
    }

    /** Answers each request on {@code s} once every request of the round has arrived, so they overlap. */
    private static Void serve(Socket s, CountDownLatch[] round) throws IOException, InterruptedException {
        try (s; BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
             OutputStream out = s.getOutputStream()) {
            for (String line; (line = in.readLine()) != null; ) {
                if (!line.isEmpty()) {
                    continue; // the request line and headers (no body: GET)
                }
                CountDownLatch arrived = round[0];
                arrived.countDown();
                arrived.await(30, TimeUnit.SECONDS);
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            }
        }
        return null;
    }
}
